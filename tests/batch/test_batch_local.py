"""`stylecam batch` in its local mode: the command, its summary, resuming, refusing, failing alone."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import decode_video, make_clip, make_model

from stylecam.api import VideoOptions, stylize_video
from stylecam.batch import BatchOptions, run_batch
from stylecam.batch.local import cpu_split
from stylecam.batch.progress import BatchProgress
from stylecam.cli import main
from stylecam.sources import probe


@pytest.fixture()
def folder(tmp_path: Path) -> tuple[Path, Path]:
    model = make_model(tmp_path / "pool.onnx", "pool4")
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    make_clip(inputs / "a.mp4", 10)
    make_clip(inputs / "sub" / "b.mov", 12, size=(64, 48))
    cv2.imwrite(str(inputs / "still.png"), np.full((40, 60, 3), 90, np.uint8))
    return inputs, model


def _batch(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["batch", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_local_batch_mirrors_names_matches_video_and_resumes(folder, tmp_path, capsys) -> None:
    inputs, model = folder
    out = tmp_path / "out"
    code, stdout, _ = _batch(
        capsys, str(inputs), "-o", str(out), "--style", str(model), "--threads", "1", "--json"
    )
    assert code == 0
    summary = json.loads(stdout)
    assert summary["mode"] == "local"
    assert len(summary["done"]) == 3 and not summary["failed"] and not summary["skipped"]
    assert summary["frames"] == 10 + 12 + 1 and summary["fps"] > 0
    assert sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and ".stylecam" not in p.parts[-2]
    ) == [
        "a.mp4",
        "still.png",
        "sub/b.mp4",
    ]
    alone = stylize_video(inputs / "a.mp4", tmp_path / "alone.mp4", style=str(model), threads=1)
    got, got_t = decode_video(out / "a.mp4")
    want, want_t = decode_video(alone.output)
    assert got_t == want_t and all(np.array_equal(x, y) for x, y in zip(got, want, strict=True))
    assert probe(out / "a.mp4").has_audio
    assert cv2.imread(str(out / "still.png")).shape == (40, 60, 3)

    code, _, err = _batch(capsys, str(inputs), "-o", str(out), "--style", str(model))
    assert code == 0
    assert "0 done, 3 skipped" in err

    (out / "sub" / "b.mp4").write_bytes(b"broken")  # no longer complete: made again without -y
    code, _, err = _batch(capsys, str(inputs), "-o", str(out), "--style", str(model))
    assert code == 0 and "1 done, 2 skipped" in err
    assert probe(out / "sub" / "b.mp4").frame_count == 12


def test_an_output_that_is_not_the_batchs_own_is_refused_without_y(folder, tmp_path, capsys) -> None:
    inputs, model = folder
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.mp4").write_bytes(b"someone else's")
    code, _, err = _batch(capsys, str(inputs / "a.mp4"), "-o", str(out), "--style", str(model))
    assert code == 2
    assert "already exists" in err and "-y" in err
    assert (out / "a.mp4").read_bytes() == b"someone else's"
    code, _, err = _batch(capsys, str(inputs / "a.mp4"), "-o", str(out), "--style", str(model), "-y")
    assert code == 0 and probe(out / "a.mp4").frame_count == 10


def test_one_bad_input_fails_alone_with_its_reason(folder, tmp_path, capsys) -> None:
    inputs, model = folder
    (inputs / "bad.mp4").write_text("not a video")
    out = tmp_path / "out"
    code, _, err = _batch(capsys, str(inputs), "-o", str(out), "--style", str(model), "--workers", "2")
    assert code == 2
    assert "3 done, 0 skipped (finished before), 1 failed" in err
    assert any(line.startswith("stylecam: failed: ") and "bad.mp4" in line for line in err.splitlines())
    assert "Traceback" not in err
    assert not [p for p in out.rglob("*") if ".batch-part" in p.name]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["missing.mp4"], "input not found"),
        (["in", "--workers", "0"], "bad --workers 0"),
        (["in", "--crf", "60"], "bad --crf 60"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    folder, tmp_path, capsys, monkeypatch, args, words
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _batch(capsys, *args, "-o", "out")
    assert code == 2
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_ray_without_ray_installed_says_how_to_get_it(folder, tmp_path, capsys, monkeypatch) -> None:
    inputs, model = folder
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    code, _, err = _batch(
        capsys, str(inputs / "a.mp4"), "-o", str(tmp_path / "o"), "--style", str(model), "--ray"
    )
    assert code != 0
    assert err.count("\n") == 1 and 'pip install "stylecam[ray]"' in err


def test_cpu_split_weighs_the_queue_against_the_thread_scaling() -> None:
    assert cpu_split(2, loads=[250] * 8) == (2, 1)  # a long queue: every core a process
    assert cpu_split(16, loads=[250] * 40) == (8, 2)  # at most MAX_CPU_WORKERS processes
    assert cpu_split(2, loads=[250]) == (1, 2)  # one video: one process, every core
    assert cpu_split(2, threads=2) == (1, 2)  # the user's --threads


def progress_lines(err: str) -> list[tuple[int, int, str]]:
    """``(frames done, total, the files' part)`` of each plain progress line in ``err``."""
    found = re.findall(r"^batch \[[#-]+\] (\d+)/(\d+) .* (files .*)$", err, re.MULTILINE)
    return [(int(done), int(total), files) for done, total, files in found]


def test_one_progress_display_counts_every_frame_and_every_file(folder, tmp_path, capsys) -> None:
    inputs, model = folder
    (inputs / "bad.mp4").write_text("not a video")
    tracker = BatchProgress(every=0.0)  # a plain line at each change (stderr is no terminal here)
    options = BatchOptions(VideoOptions(style=str(model), threads=1), workers=2)
    report = run_batch([str(inputs)], tmp_path / "out", options, progress=tracker)
    assert len(report.done) == 3 and len(report.failed) == 1
    lines = progress_lines(capsys.readouterr().err)
    assert lines[-1] == (23, 23, "files 3/4 done, 1 failed")  # 10 + 12 frames and an image
    assert tracker.done == tracker.total == report.frames == 23
    assert tracker.reports >= 2  # both videos' workers reported their frames as they went
    assert any(0 < done < 23 for done, _, _ in lines)

    code = main(["batch", str(inputs), "-o", str(tmp_path / "out"), "--style", str(model)])
    err = capsys.readouterr().err
    assert code == 2 and "stylecam: 0 done, 3 skipped" in err
    assert re.search(r"^batch .*files 0/4 done, 3 skipped, 1 failed$", err, re.MULTILINE)  # the last state
    code = main(["batch", str(inputs), "-o", str(tmp_path / "out"), "--style", str(model), "--json"])
    assert code == 2 and "batch " not in capsys.readouterr().err  # --json: no progress, no log
