#!/usr/bin/env python3
"""Measure ``stylecam batch`` against ``stylecam video`` run on each clip in turn, and Ray's overhead.

Every run is the ``stylecam`` command in a fresh process (as a user runs it), on the same clips, style
and processing size, one after the other:

- ``video``: ``stylecam video`` on each clip in turn (one process per clip, all cores each);
- ``batch``: ``stylecam batch`` in its local mode (the measured default split of the cores);
- ``batch-1x``: the same with one worker using every core, and ``batch-Nx`` with one worker per core
  (the two ends of the split the default chooses between);
- ``threads``: ``stylecam video`` on the first clip with one network thread and with every core
  (how a network's speed grows with its threads: ``THREAD_SCALING`` in ``stylecam/batch/local.py``);
- ``ray``: ``stylecam batch --ray`` on a Ray started for the run on this machine (its start included);
- ``ray-chunks``: the same with ``--chunk-seconds`` small enough to split the clips at their keyframes.

Prints a table and, with ``--json FILE``, writes the numbers (also printed on stdout as JSON).

Example:
    nice python scripts/bench_batch.py --json docs/bench-batch.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIPS = REPO.parent / "shared" / "data" / "video"


def _stylecam(*args: str) -> tuple[float, dict | None]:
    """Run the command; its wall time and its ``--json`` summary."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "stylecam", *args], capture_output=True, text=True, cwd=REPO, check=False
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(
            f"stylecam {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-500:]}"
        )
    try:
        return seconds, json.loads(done.stdout)
    except ValueError:
        return seconds, None


def _cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return platform.processor()
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    name = fields.get("Model name", "").strip()
    flags = fields.get("Flags", "")
    extra = ", AVX-512" if "avx512f" in flags else ""
    return f"{name} ({os.cpu_count()} cores{extra})"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--clips", nargs="*", help=f"videos (default: the three in {CLIPS})")
    p.add_argument("--style", default="starry-night")
    p.add_argument("--size", default="640x360", help="processing size (default 640x360)")
    p.add_argument("--chunk-seconds", type=float, default=3.0, help="chunks of the ray-chunks run")
    p.add_argument(
        "--skip", nargs="*", default=[], help="runs to leave out (video, batch, batch-1x, ray, ...)"
    )
    p.add_argument("--json", help="write the numbers here")
    args = p.parse_args()
    clips = [Path(c) for c in args.clips] if args.clips else sorted(CLIPS.glob("*.mp4"))
    if not clips:
        raise SystemExit(f"no clips (looked in {CLIPS})")
    common = ["--style", args.style, "--size", args.size, "-y", "--json"]
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    runs: dict[str, dict] = {}
    try:
        if "video" not in args.skip:
            total, frames, per_frame = 0.0, 0, []
            for clip in clips:
                seconds, summary = _stylecam(
                    "video", str(clip), "-o", str(work / f"v-{clip.stem}.mp4"), *common
                )
                total += seconds
                frames += summary["frames_out"]
                per_frame.append({"clip": clip.name, **summary["ms_per_frame"]})
            runs["video"] = {"seconds": total, "frames": frames, "ms_per_frame": per_frame}
        if "threads" not in args.skip:
            fps = {}
            for t in (1, cores):
                _, summary = _stylecam(
                    "video", str(clips[0]), "-o", str(work / "t.mp4"), *common, "--threads", str(t)
                )
                fps[t] = summary["fps"]
            runs["threads"] = {
                "clip": clips[0].name,
                "fps_by_threads": fps,
                "scaling_exponent": math.log(fps[cores] / fps[1]) / math.log(cores) if cores > 1 else None,
            }
        plans = {
            "batch": [],
            "batch-1x": ["--workers", "1", "--threads", str(cores)],
            "batch-Nx": ["--workers", str(cores), "--threads", "1"],
            "ray": ["--ray"],
            "ray-chunks": ["--ray", "--chunk-seconds", str(args.chunk_seconds)],
        }
        for name, extra in plans.items():
            if name in args.skip:
                continue
            out = work / name
            seconds, summary = _stylecam("batch", *map(str, clips), "-o", str(out), *common, *extra)
            assert summary is not None and not summary["failed"], summary
            runs[name] = {
                "seconds": seconds,
                "frames": summary["frames"],
                "inner_seconds": summary["seconds"],
                "workers": summary["workers"],
                "chunks": summary.get("chunks"),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for run in runs.values():
        if "frames" in run:
            run["fps"] = run["frames"] / run["seconds"]
    base = runs.get("video", {}).get("seconds")
    local = runs.get("batch", {}).get("seconds")
    ratios = {}
    if base and local:
        ratios["batch_speedup_over_video_in_turn"] = base / local
    if local:
        for name in ("batch-1x", "batch-Nx", "ray", "ray-chunks"):
            if name in runs:
                ratios[f"{name}_time_over_batch"] = runs[name]["seconds"] / local
    result = {
        "cpu": _cpu(),
        "clips": [c.name for c in clips],
        "style": args.style,
        "size": args.size,
        "runs": runs,
        "ratios": ratios,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(f"{'run':<12} {'seconds':>8} {'frames':>7} {'fps':>7}  notes", file=sys.stderr)
    for name, run in runs.items():
        if "frames" not in run:
            continue
        note = f"{run.get('workers', 1)} worker(s)" + (
            f", {run['chunks']} chunks" if run.get("chunks") else ""
        )
        print(
            f"{name:<12} {run['seconds']:8.1f} {run['frames']:7d} {run['fps']:7.1f}  {note}", file=sys.stderr
        )
    if "threads" in runs:
        t = runs["threads"]
        print(
            f"threads: {t['fps_by_threads']} fps on {t['clip']}; exponent {t['scaling_exponent']:.2f}",
            file=sys.stderr,
        )
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}", file=sys.stderr)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
