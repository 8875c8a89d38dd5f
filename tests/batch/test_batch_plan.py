"""Planning a batch: mirrored output names, no collisions, and the manifest's complete-check."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_clip, shared_path

from stylecam.batch.chunks import Keyframes, plan_chunks, plan_clean_chunks, scan_keyframes, warm_up_frames
from stylecam.batch.manifest import Made, Manifest, holds, measure
from stylecam.batch.plan import plan_jobs
from stylecam.errors import InputError


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_outputs_mirror_folders_and_files(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    _touch(clips / "day1" / "a.mov")
    _touch(clips / "day2" / "a.mov")
    _touch(clips / "b.jpg")
    _touch(clips / "notes.txt")
    _touch(clips / ".hidden" / "c.mp4")
    single = _touch(tmp_path / "one.mkv")
    out = tmp_path / "styled"
    jobs, passed = plan_jobs([str(clips), str(single)], out)
    got = {
        (j.input.relative_to(tmp_path).as_posix(), j.output.relative_to(out).as_posix(), j.kind) for j in jobs
    }
    assert got == {
        ("clips/day1/a.mov", "day1/a.mp4", "video"),
        ("clips/day2/a.mov", "day2/a.mp4", "video"),
        ("clips/b.jpg", "b.jpg", "image"),
        ("one.mkv", "one.mp4", "video"),
    }
    assert passed == [clips / "notes.txt"]


def test_names_never_collide_and_a_file_named_twice_runs_once(tmp_path: Path) -> None:
    a_mov, a_mkv = _touch(tmp_path / "a.mov"), _touch(tmp_path / "a.mkv")
    other = _touch(tmp_path / "x" / "a.mov")
    jobs, _ = plan_jobs(
        [str(a_mov), str(a_mkv), str(other), str(a_mov), str(tmp_path / "*.mov")], tmp_path / "o"
    )
    names = [j.output.name for j in jobs]
    assert len(jobs) == 3
    assert len(set(names)) == 3
    assert names[:2] == ["a-mov.mp4", "a-mkv.mp4"]


def test_glob_keeps_paths_below_its_fixed_part_and_skips_the_output_folder(tmp_path: Path) -> None:
    _touch(tmp_path / "in" / "s" / "a.mp4")
    _touch(tmp_path / "in" / "out" / "old.mp4")  # the output folder inside the input folder
    jobs, _ = plan_jobs([str(tmp_path / "in" / "**" / "*.mp4")], tmp_path / "in" / "out")
    assert [j.output.relative_to(tmp_path / "in" / "out").as_posix() for j in jobs] == ["s/a.mp4"]


@pytest.mark.parametrize("what", ["missing.mp4", "*.nothing"])
def test_missing_inputs_are_one_clear_error(tmp_path: Path, what: str) -> None:
    with pytest.raises(InputError):
        plan_jobs([str(tmp_path / what)], tmp_path / "o")


def test_manifest_skips_only_outputs_that_are_still_complete(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", 12)
    out = tmp_path / "o"
    (job,), _ = plan_jobs([str(clip)], out)
    out.mkdir()
    job.output.write_bytes(clip.read_bytes())
    made = measure(job.output, "video")
    assert made.frames == 12 and made.audio
    manifest = Manifest(out)
    manifest.record(job, "k1", made)
    again = Manifest.load(out)
    assert again.state(job, "k1") == "finished"
    assert again.state(job, "k2") == "unknown"  # other options: not this batch's output
    data = job.output.read_bytes()
    job.output.write_bytes(data[: len(data) // 2])  # damaged after it was finished
    assert again.state(job, "k1") == "redo"
    assert not holds(Made(11, made.seconds, True, made.width, made.height), made)


def test_chunks_start_at_keyframes_and_warm_up_before_them() -> None:
    keys = Keyframes(frames=100, keys=(0, 12, 24, 36, 48, 60, 72, 84, 96), key_pts=tuple(range(9)))
    chunks = plan_chunks(keys, 100, chunk_frames=30, warm=10)
    assert [(c.start, c.end) for c in chunks] == [(0, 36), (36, 72), (72, 100)]
    assert all(c.start in keys.keys for c in chunks)
    assert [(c.warm_start, c.seg_start) for c in chunks] == [(0, 0), (26, 24), (62, 60)]
    assert [c.lead + c.warm + c.count for c in chunks] == [36, 48, 40]
    assert plan_chunks(keys, 40, chunk_frames=30, warm=10)[-1].exact is False  # stops before its keyframe
    assert warm_up_frames("none", None) == 0
    assert 0.8 ** warm_up_frames("flow", 0.8) <= 1 / 255 < 0.8 ** (warm_up_frames("flow", 0.8) - 1)


@pytest.mark.shared
def test_keyframes_that_do_not_decode_on_their_own_never_start_a_segment() -> None:
    clip = shared_path("data", "video", "cockatoo_handheld_1280x720_14s.mp4")
    keys = scan_keyframes(clip)
    assert keys is not None and keys.keys == (0, 76, 145)  # 76 and 145 decode corrupt after a seek
    assert [(c.start, c.end) for c in plan_chunks(keys, keys.frames, 60, 25)] == [
        (0, 76),
        (76, 145),
        (145, 280),
    ]
    clean = plan_clean_chunks(clip, keys, keys.frames, 60, 25)
    assert [(c.start, c.end, c.seg_start) for c in clean] == [(0, 145, 0), (145, 280, 0)]  # decoded from 0
