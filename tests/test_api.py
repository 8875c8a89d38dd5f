"""The library entry points: ``stylecam.stylize_video`` and ``stylecam.stylize_image`` against the CLI."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import av
import cv2
import numpy as np
import pytest
from conftest import REPO, make_clip

import stylecam
from stylecam.cli import main
from stylecam.sources import probe


def _timeline(path) -> tuple[list[float], float]:
    """The video frames' times and the sound's duration (seconds) of a file."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        times = sorted(float(f.pts * v.time_base) for f in c.decode(v))
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        samples = sum(f.samples for f in c.decode(a))
        audio_s = samples / a.rate
    return times, audio_s


def _frames(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


def test_video_through_the_api_matches_the_command(models_dir, tmp_path, capsys):
    clip = make_clip(tmp_path / "in.mp4", 18, size=(98, 66), fps=24, audio=True)
    out_api, out_cli = tmp_path / "api.mp4", tmp_path / "cli.mp4"
    result = stylecam.stylize_video(clip, out_api, style="invert", smooth="ema", crf=20)
    assert capsys.readouterr() == ("", "")  # a library call prints nothing
    assert isinstance(result, stylecam.Result)
    assert result.output == out_api and result.frames == 18 and result.fps == pytest.approx(24)
    assert result.device == "cpu" and result.precision == "fp32" and result.style == "invert"
    assert result.audio and not result.interrupted and result.speed > 0
    assert result.summary["frames_out"] == 18 and result.summary["command"] == "video"

    args = ["video", str(clip), "-o", str(out_cli), "--style", "invert", "--smooth", "ema", "--crf", "20"]
    assert main([*args, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary.keys() == result.summary.keys()
    for key in ("frames_in", "frames_out", "device", "precision", "audio", "size", "processing_size"):
        assert summary[key] == result.summary[key], key

    a, c = probe(out_api), probe(out_cli)
    assert (a.frame_count, a.fps, a.width, a.height, a.has_audio) == (
        c.frame_count,
        c.fps,
        c.width,
        c.height,
        c.has_audio,
    )
    times_api, audio_api = _timeline(out_api)
    times_cli, audio_cli = _timeline(out_cli)
    assert times_api == pytest.approx(times_cli) and len(times_api) == 18
    assert audio_api == pytest.approx(audio_cli) and audio_api > 0.5
    for x, y in zip(_frames(out_api), _frames(out_cli), strict=True):
        np.testing.assert_array_equal(x, y)  # the same options give the same pictures


def test_video_options_built_once_and_reused(models_dir, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 12, audio=True)
    options = stylecam.VideoOptions(style="identity", smooth="none", audio=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.crf = 30  # type: ignore[misc]
    lines: list[str] = []
    result = stylecam.stylize_video(clip, None, options=options, max_frames=5, log=lines.append)
    assert result.output == tmp_path / "in.identity.mp4"  # the command's default name
    assert result.frames == probe(result.output).frame_count == 5
    assert not result.audio and not probe(result.output).has_audio
    assert len(lines) == 1 and lines[0].startswith("style 'identity'")  # what the command prints
    assert options.max_frames is None  # the keyword changed this run only


def test_an_existing_output_is_refused_without_overwrite(models_dir, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", 6, audio=False)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    with pytest.raises(stylecam.OutputError, match="already exists") as info:
        stylecam.stylize_video(clip, out, style="invert")
    assert info.value.exit_code == 2
    assert out.read_bytes() == b"keep me"
    result = stylecam.stylize_video(clip, out, style="invert", overwrite=True)
    assert result.frames == probe(out).frame_count == 6

    photo = tmp_path / "p.png"
    cv2.imwrite(str(photo), np.full((20, 30, 3), 40, np.uint8))
    painted = tmp_path / "painted.png"
    painted.write_bytes(b"keep me too")
    with pytest.raises(stylecam.OutputError, match="already exists"):
        stylecam.stylize_image(photo, painted, style="invert")
    assert painted.read_bytes() == b"keep me too"
    assert stylecam.stylize_image(photo, painted, style="invert", overwrite=True).frames == 1


@pytest.mark.parametrize(
    ("values", "needles"),
    [
        ({"crf": 60}, ("--crf 60", "0 to 51")),
        ({"max_frames": 0}, ("--max-frames", "1 or more")),
        ({"threads": 0}, ("--threads", "1 to 1024")),
        ({"smooth_strength": 1.5}, ("--smooth-strength", "0 to 1")),
        ({"scale": 0.0}, ("--scale", "up to 8")),
        ({"size": "7x5"}, ("--size", "32 to 8192")),
    ],
)
def test_a_bad_option_raises_input_error_with_the_range(models_dir, tmp_path, values, needles):
    clip = make_clip(tmp_path / "in.mp4", 4, audio=False)
    with pytest.raises(stylecam.InputError) as info:
        stylecam.stylize_video(clip, tmp_path / "out.mp4", style="invert", **values)
    for needle in needles:
        assert needle in str(info.value)
    assert info.value.exit_code == 2
    assert not list(tmp_path.glob("out*"))  # refused before any work
    with pytest.raises(stylecam.InputError):
        stylecam.VideoOptions(**values)


def test_an_unknown_option_is_a_type_error(models_dir, tmp_path):
    with pytest.raises(TypeError, match="colour"):
        stylecam.stylize_image(tmp_path / "p.png", tmp_path / "o.png", colour="red")
    with pytest.raises(TypeError, match="crf"):
        stylecam.stylize_image(tmp_path / "p.png", tmp_path / "o.png", crf=20)  # a video option


def test_image_through_the_api_matches_the_command(models_dir, tmp_path, capsys):
    rng = np.random.default_rng(3)
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), rng.integers(0, 256, (50, 70, 3), dtype=np.uint8))
    result = stylecam.stylize_image(photo, tmp_path / "api.png", style="invert")
    assert capsys.readouterr() == ("", "")
    assert result.frames == 1 and result.files == (tmp_path / "api.png",) and result.failed == ()
    assert result.fps is None and result.device == "cpu" and result.precision == "fp32"
    assert main(["image", str(photo), "-o", str(tmp_path / "cli.png"), "--style", "invert"]) == 0
    api, cli = cv2.imread(str(tmp_path / "api.png")), cv2.imread(str(tmp_path / "cli.png"))
    assert api.shape == (50, 70, 3)
    np.testing.assert_array_equal(api, cli)
    np.testing.assert_array_equal(api, 255 - cv2.imread(str(photo)))

    # a folder, with one file that is not an image: the same files and the same note as the command
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.png", "b.jpg"):
        cv2.imwrite(str(folder / name), rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    (folder / "notes.txt").write_text("hello")
    lines: list[str] = []
    result = stylecam.stylize_image(
        [folder], tmp_path / "out", style="invert", format=".jpg", log=lines.append
    )
    assert sorted(p.name for p in result.files) == ["a.jpg", "b.jpg"]
    assert result.frames == 2 and result.output == tmp_path / "out"
    assert lines[0] == "skipped 1 file(s) that are not images: notes.txt"
    assert (
        main(["image", str(folder), "-o", str(tmp_path / "out2"), "--style", "invert", "--format", ".jpg"])
        == 0
    )
    assert "skipped 1 file(s) that are not images: notes.txt" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out2").iterdir()) == ["a.jpg", "b.jpg"]


def test_the_api_stays_light_and_torch_free():
    code = (
        "import sys, stylecam\n"
        "assert 'cv2' not in sys.modules and 'onnxruntime' not in sys.modules, 'heavy at import'\n"
        "stylecam.VideoOptions, stylecam.ImageOptions\n"
        "assert 'cv2' not in sys.modules and 'onnxruntime' not in sys.modules, 'heavy options'\n"
        "stylecam.stylize_video, stylecam.stylize_image\n"
        "from stylecam import api, stage\n"
        "assert 'torch' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert {"stylize_video", "stylize_image", "VideoOptions", "ImageOptions", "Result"} <= set(
        stylecam.__all__
    )
