"""`stylecam batch --ray` on a Ray cluster started here (two CPUs, so two worker processes): the outputs
match `stylecam video` run on each input alone (in a fresh process), also for a video split into chunks; a worker killed
mid-run costs nothing; a re-run does no work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from clips import make_gop_clip
from conftest import decode_audio, decode_video, make_clip, make_model, shared_path

from stylecam.api import VideoOptions
from stylecam.batch import BatchOptions, run_batch
from stylecam.batch.plan import STATE_DIR
from stylecam.sources import probe

ray = pytest.importorskip("ray")

#: the smoother's tolerance across a chunk join: the mean difference of a frame, in 8-bit levels (the
#: warm-up brings the smoother's memory of the missing past below one level, see chunks.WARM_UP_RESIDUE)
JOIN_TOLERANCE = 1.0
#: the temporal smoothing of these runs (the default, ``flow``; each video runs in a fresh process,
#: see stylecam.batch.local.FRESH_PROCESS_PER_VIDEO)
SMOOTH = ["--smooth", "flow"]


@pytest.fixture(scope="module")
def cluster():
    ray.init(
        num_cpus=2,
        object_store_memory=100 * 1024 * 1024,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    model = make_model(root / "models" / "pool.onnx", "pool4")
    inputs = root / "in"
    (inputs / "sub").mkdir(parents=True)
    for i in range(8):  # eight short clips with sound, two of them in a sub-folder
        folder = inputs / "sub" if i >= 6 else inputs
        make_clip(folder / f"clip{i}.mp4", 8 + 2 * i, size=(64 + 16 * (i % 3), 48))
    make_gop_clip(inputs / "long.mp4", 120, gop=12)  # 4.8 s: chunks of about a second
    options = VideoOptions(style=str(model), threads=1, smooth="flow")
    refs = root / "refs"
    refs.mkdir()
    clips = sorted(inputs.rglob("*.mp4"))
    _video_alone(
        [(c, _ref(refs, inputs, c)) for c in clips], ["--style", str(model), "--threads", "1", *SMOOTH]
    )
    return root, inputs, refs, options


def _video_alone(pairs: list[tuple[Path, Path]], args: list[str]) -> None:
    """``stylecam video IN -o OUT ARGS`` for each pair, each in a fresh process, as a user runs it."""
    for src, dst in pairs:
        command = [sys.executable, "-m", "stylecam", "video", str(src), "-o", str(dst), *args]
        subprocess.run(command, check=True, capture_output=True)


def _ref(refs: Path, inputs: Path, clip: Path) -> Path:
    return refs / clip.relative_to(inputs).as_posix().replace("/", "_")


def _same_as_alone(output: Path, reference: Path, tolerance: float = 0.0) -> None:
    """Frame count, frame times and sound of ``stylize_video`` on the input alone; pictures within
    ``tolerance`` levels (mean, per frame)."""
    assert probe(output).frame_count == probe(reference).frame_count
    got, got_t = decode_video(output)
    want, want_t = decode_video(reference)
    assert got_t == want_t
    diffs = [np.abs(a.astype(np.int16) - b.astype(np.int16)).mean() for a, b in zip(got, want, strict=True)]
    worst = int(np.argmax(diffs))
    profile = " ".join(f"{i}:{diffs[i]:.1f}" for i in range(max(0, worst - 8), min(len(diffs), worst + 4)))
    assert max(diffs) <= tolerance, f"frame {worst} differs by {max(diffs):.2f} levels ({profile})"
    assert probe(output).has_audio == probe(reference).has_audio
    if not probe(reference).has_audio:
        return
    s1, r1, t1 = decode_audio(output)
    s2, r2, t2 = decode_audio(reference)
    assert (r1, t1, len(s1)) == (r2, t2, len(s2))
    np.testing.assert_allclose(s1, s2, atol=1e-6)


def _no_leftovers(out: Path) -> None:
    assert not [p for p in out.rglob("*") if ".batch-part" in p.name]
    assert not (out / STATE_DIR / "work").exists(), list((out / STATE_DIR).rglob("*"))


@pytest.mark.slow
def test_ray_outputs_match_stylize_video_alone_and_a_rerun_does_no_work(cluster, work) -> None:
    root, inputs, refs, options = work
    out = root / "out"
    report = run_batch([str(inputs)], out, BatchOptions(options, ray="", chunk_seconds=1.0))
    assert report.ok, report.failed
    assert len(report.done) == 9 and report.extra["chunks"] >= 3
    assert report.extra["whole_again"] == 0  # the chunks themselves made long.mp4
    for clip in sorted(inputs.rglob("*.mp4")):
        output = out / clip.relative_to(inputs)
        chunked = clip.name == "long.mp4"
        _same_as_alone(output, _ref(refs, inputs, clip), JOIN_TOLERANCE if chunked else 0.0)
    _no_leftovers(out)
    assert report.frames == sum(probe(p).frame_count for p in inputs.rglob("*.mp4"))

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")}
    again = run_batch([str(inputs)], out, BatchOptions(options, ray="", chunk_seconds=1.0))
    assert again.ok and not again.done and len(again.skipped) == 9 and again.frames == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.mp4")} == stamps


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether process ``pid`` is a descendant of ``ancestor`` (this test's Ray, not another one)."""
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == ancestor:
            return True
    return False


def _kill_a_busy_worker(stop: threading.Event, killed: list[int]) -> None:
    """SIGKILL the first worker process of this test's Ray seen running a batch task."""
    me = os.getpid()
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if title.startswith(b"ray::stylize_") and _descends_from(int(pid), me):
                os.kill(int(pid), signal.SIGKILL)
                killed.append(int(pid))
                return
        time.sleep(0.005)


@pytest.mark.slow
def test_a_worker_killed_mid_run_still_ends_with_every_output_complete_once(cluster, work, tmp_path) -> None:
    _, inputs, refs, options = work
    out = tmp_path / "out"
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_a_busy_worker, args=(stop, killed), daemon=True)
    killer.start()
    try:
        report = run_batch([str(inputs)], out, BatchOptions(options, ray="", chunk_seconds=1.0))
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was seen running a task"
    assert report.ok, report.failed
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.mp4"))
    assert outputs == sorted(p.relative_to(inputs).as_posix() for p in inputs.rglob("*.mp4"))
    assert sorted(d["output"] for d in report.done) == sorted(str(out / o) for o in outputs)  # each once
    for clip in sorted(inputs.rglob("*.mp4")):
        _same_as_alone(out / clip.relative_to(inputs), _ref(refs, inputs, clip), JOIN_TOLERANCE)
    _no_leftovers(out)


@pytest.mark.slow
@pytest.mark.shared
def test_a_real_clip_split_into_chunks_matches_one_run(cluster, tmp_path) -> None:
    clip = shared_path("data", "video", "bikes_street_scenes_640x272_10s.mp4")  # keyframes 30, 76, 137, ...
    model = make_model(tmp_path / "pool.onnx", "pool4")
    options = VideoOptions(style=str(model), threads=1, size="320x136", smooth="flow")
    alone = tmp_path / "alone.mp4"
    _video_alone([(clip, alone)], ["--style", str(model), "--threads", "1", "--size", "320x136", *SMOOTH])
    out = tmp_path / "out"
    report = run_batch([str(clip)], out, BatchOptions(options, ray="", chunk_seconds=3.0))
    assert report.ok, report.failed
    assert report.extra["chunks"] == 3 and report.extra["whole_again"] == 0
    _same_as_alone(out / clip.with_suffix(".mp4").name, alone, JOIN_TOLERANCE)


@pytest.mark.slow
def test_shared_files_are_read_and_written_where_every_node_sees_them(cluster, work, tmp_path) -> None:
    _, inputs, refs, options = work
    clips = [inputs / "clip0.mp4", inputs / "long.mp4"]
    out = tmp_path / "out"
    batch = BatchOptions(options, ray="", chunk_seconds=1.0, shared=True)
    report = run_batch([str(c) for c in clips], out, batch)
    assert report.ok, report.failed
    assert report.extra["chunks"] >= 3 and report.extra["whole_again"] == 0
    for clip in clips:
        _same_as_alone(out / clip.name, _ref(refs, inputs, clip), JOIN_TOLERANCE)
    _no_leftovers(out)


@pytest.mark.slow
def test_one_progress_display_counts_the_frames_the_tasks_report(
    cluster, work, tmp_path, capsys, monkeypatch
) -> None:
    from stylecam.batch import cluster as runner
    from stylecam.batch.progress import BatchProgress

    monkeypatch.setattr(runner, "PROGRESS_POLL", 0.05)  # these tasks run for a fraction of a second
    _, inputs, _, options = work
    clips = [inputs / "clip0.mp4", inputs / "long.mp4"]  # one whole, one in chunks
    tracker = BatchProgress(every=0.0)  # a plain line at each change (stderr is no terminal here)
    batch = BatchOptions(options, ray="", chunk_seconds=1.0)
    report = run_batch([str(c) for c in clips], tmp_path / "out", batch, progress=tracker)
    assert report.ok, report.failed
    assert report.extra["chunks"] >= 3
    total = 8 + 120
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith(f"batch [{'#' * 24}] {total}/{total} 100%")
    assert lines[-1].endswith("files 2/2 done")
    assert tracker.done == tracker.total == report.frames == total
    assert tracker.reports > 0  # the tasks reported their frames to the board as they went
