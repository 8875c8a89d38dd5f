"""The ``stylecam`` command: arguments to runs, errors to one line and an exit code.

Subcommands: ``demo``, ``image``, ``video``, ``live``, ``styles``, ``info``,
``bench``, and (with the ``train`` extra) ``train`` and ``export``.
Exit codes: 0 success, 1 internal error, 2 bad input (also: an image of a folder failed), 3 missing
device or backend, 128 + the signal when interrupted (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
Outputs follow ffmpeg's convention: an existing file is refused unless ``-y`` is given (``-n``, the
default), and every output is written beside its target and moved into place at the end.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import __version__
from .errors import InputError, StylecamError
from .frames import Frame
from .interrupts import INTERRUPTS
from .models import PRECISIONS, cpu_has_int8_dot
from .status import StatusLine

PROG = "stylecam"


# --------------------------------------------------------------------------- output helpers


def _say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr, flush=True)


class Progress(StatusLine):
    """A progress bar with fps and ETA on stderr (only when stderr is a terminal, unless forced)."""

    def __init__(self, label: str, total: int | None, enabled: bool | None = None) -> None:
        super().__init__(sys.stderr.isatty() if enabled is None else enabled)
        self.label = label
        self.total = total

    def __call__(self, stats) -> None:
        done, fps, total = stats.frames_out, stats.fps, self.total
        if total:
            frac = min(1.0, done / total)
            bar = "#" * int(frac * 24) + "-" * (24 - int(frac * 24))
            eta = (total - done) / fps if fps > 0 else 0.0
            self.show(
                f"{self.label} [{bar}] {done}/{total} {100 * frac:3.0f}% {fps:5.1f} fps ETA {eta:4.0f}s"
            )
        else:
            self.show(f"{self.label} {done} frames {fps:5.1f} fps")


def _emit_json(summary: dict) -> None:
    print(json.dumps(summary, indent=2, default=str))


# --------------------------------------------------------------------------- shared options


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--style", help="style name (see 'stylecam styles') or path to an .onnx file")
    p.add_argument(
        "--device",
        default="auto",
        choices=("auto", "tensorrt", "cuda", "cpu"),
        help="where the network runs (default: auto = TensorRT, then CUDA, then CPU)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--size",
        help="processing size: WxH (640x360), a height (720p), 'full' or 'auto' (on a CPU, frames larger "
        "than the style's recommended size run at about its pixel count: the default of 'live'); "
        "the output keeps its size",
    )
    g.add_argument("--scale", type=float, help="processing size as a factor of the frame size, e.g. 0.5")
    p.add_argument("--threads", type=int, help="CPU threads for the network (default: all cores)")
    p.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="network precision (default: auto = int8 on the CPU, fp16 on CUDA, when the style has them)",
    )
    p.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")


def _add_smooth_options(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--smooth",
        default=default,
        choices=("none", "ema", "flow"),
        help=f"temporal smoothing against flicker (default: {default})",
    )
    p.add_argument("--smooth-strength", type=float, help="0..1, how much of the previous output is kept")


def _add_overwrite_options(p: argparse.ArgumentParser, what: str = "the output") -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "-y", "--overwrite", action="store_true", help=f"replace {what} if it exists (at the end of the run)"
    )
    g.add_argument(
        "-n", "--no-overwrite", action="store_true", help=f"refuse {what} if it exists (the default)"
    )


#: Valid ranges of the numeric options: (lowest, highest, what to say).
CRF_RANGE = (0, 51)
SIZE_RANGE = (32, 8192)


def check_options(args: argparse.Namespace) -> None:
    """One line naming the valid range for an option out of it (before any work starts).

    Raises:
        InputError: ``--crf``, ``--max-frames``, ``--threads``, ``--size``, ``--scale`` or
            ``--smooth-strength`` out of range.
    """
    crf = getattr(args, "crf", None)
    if crf is not None and not CRF_RANGE[0] <= crf <= CRF_RANGE[1]:
        raise InputError(
            f"bad --crf {crf}", f"use {CRF_RANGE[0]} to {CRF_RANGE[1]} (lower is better, 18 default)"
        )
    max_frames = getattr(args, "max_frames", None)
    if max_frames is not None and max_frames < 1:
        raise InputError(f"bad --max-frames {max_frames}", "use 1 or more")
    threads = getattr(args, "threads", None)
    if threads is not None and not 1 <= threads <= 1024:
        raise InputError(
            f"bad --threads {threads}", f"use 1 to 1024 (this machine has {os.cpu_count()} cores)"
        )
    strength = getattr(args, "smooth_strength", None)
    if strength is not None and not 0.0 <= strength <= 1.0:
        raise InputError(f"bad --smooth-strength {strength:g}", "use 0 to 1")
    scale = getattr(args, "scale", None)
    if scale is not None and not 0 < scale <= 8:
        raise InputError(f"bad --scale {scale:g}", "use a factor above 0 and up to 8, such as 0.5")
    size = getattr(args, "size", None)
    if size:
        from .engine import parse_size

        parsed = parse_size(size)
        sides = parsed if isinstance(parsed, tuple) else (parsed,) if isinstance(parsed, int) else ()
        lo, hi = SIZE_RANGE
        if any(not lo <= side <= hi for side in sides):
            raise InputError(
                f"bad --size {size}",
                f"each side from {lo} to {hi} pixels (640x360, 720p), or 'full' or 'auto'",
            )


def _stylizer(args: argparse.Namespace):
    from .engine import Stylizer, parse_size

    st = Stylizer(
        args.style,
        device=args.device,
        size=parse_size(args.size),
        scale=args.scale,
        threads=args.threads,
        precision=getattr(args, "precision", "auto"),
    )
    if not getattr(args, "json", False):
        _say(f"style '{st.name}' {st.report.summary()}")
    return st


class _StylizeStep:
    """The processing stage of image and video runs: the network, then the temporal smoother.

    ``stylizer`` is a :class:`~stylecam.engine.Stylizer` (its three steps: to the processing size,
    stylize, back to the frame size; the smoother works between the last two).

    When the network runs on a GPU, a smoother with ``prepare``/``apply`` (the flow smoother) computes
    the motion of frame *t* on a helper thread while the network stylizes frame *t* (both release the
    GIL), and only the blend stays on the critical path. On the CPU the network already keeps every core
    busy and the overlap does not pay: measured on the 2-core build machine, +3 % at 640x360 and -9 % at
    1280x720, so there it runs in sequence (``overlap`` forces either way).
    """

    def __init__(self, stylizer, smoother, overlap: bool | None = None) -> None:
        self.stylizer = stylizer
        self.smoother = smoother
        self.smooth_s = 0.0
        self._pool = None
        if overlap is None:
            overlap = getattr(stylizer, "device", "cpu") != "cpu"
        if overlap and smoother is not None and hasattr(smoother, "prepare") and hasattr(smoother, "apply"):
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="stylecam-motion")

    def _prepare(self, image: np.ndarray):
        t0 = time.perf_counter()
        motion = self.smoother.prepare(image)
        return motion, time.perf_counter() - t0

    def __call__(self, frame: Frame) -> np.ndarray:
        image, st = frame.image, self.stylizer
        if self.smoother is None:
            return st(image)
        # smooth at the processing size, then scale up once: with --size 640x360 on a 1080p file the
        # warp and blend touch a ninth of the pixels
        small = st.to_processing_size(image)
        pending = self._pool.submit(self._prepare, small) if self._pool is not None else None
        try:
            out = st.stylize_resized(small)
        except BaseException:
            if pending is not None:
                concurrent.futures.wait([pending])  # never leave it running past this frame
            raise
        t0 = time.perf_counter()
        if pending is None:
            out = self.smoother.update(small, out)
        else:
            motion, prep_s = pending.result()
            out = self.smoother.apply(motion, out)
            self.smooth_s += prep_s
        self.smooth_s += time.perf_counter() - t0
        return st.to_frame_size(out, image.shape[1], image.shape[0])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def stage_ms(self) -> dict[str, float]:
        t = self.stylizer.timings
        n = max(1, t["frames"])
        return {
            "preprocess": round(1000 * t["pre"] / n, 2),
            "inference": round(1000 * t["infer"] / n, 2),
            "postprocess": round(1000 * t["post"] / n, 2),
            "smoothing": round(1000 * self.smooth_s / n, 2),
        }


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this process in MB (Linux: VmHWM, which starts afresh at exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except ImportError:  # Windows
        return None


def _summary(command: str, stats, stylizer, output: str | None, **extra) -> dict:
    d = {
        "command": command,
        "style": stylizer.name,
        "device": stylizer.device,
        "precision": getattr(stylizer, "precision", "fp32"),
        "output": output,
        **stats.as_dict(),
    }
    d.update(extra)
    return d


# --------------------------------------------------------------------------- image


def cmd_image(args: argparse.Namespace) -> int:
    from .pipeline import Pipeline
    from .sinks import ImageSink
    from .sources import ImageSource

    check_options(args)
    source = ImageSource(args.inputs, on_skip=None if args.json else _say)
    single = len(source.files) == 1 and not Path(args.output).is_dir() and Path(args.output).suffix != ""
    sink = ImageSink(
        args.output, single=single, inputs=source.files, suffix=args.format, overwrite=args.overwrite
    )
    note = source.not_images_line()
    if note and not args.json:
        _say(note)
    st = _stylizer(args)
    progress = Progress("stylizing", len(source.files))
    pipe = Pipeline(source, _StylizeStep(st, None), [sink], progress=progress)
    with INTERRUPTS.running(pipe.stop, str(args.output)):
        stats = pipe.run()
    progress.finish()
    failed = source.failed + sink.failed
    summary = _summary(
        "image",
        stats,
        st,
        str(args.output),
        files=[str(p) for p in sink.written],
        failed=[{"file": str(f), "why": why} for f, why in failed],
        not_images=[str(p) for p in source.not_images],
    )
    interrupted = stats.stop_reason == "interrupted"
    if args.json:
        _emit_json(summary)
    else:
        done = f"wrote {len(sink.written)} image(s) to {args.output} ({stats.seconds:.2f} s)"
        if failed:
            done += f"; {len(failed)} failed: " + ", ".join(str(f) for f, _ in failed)
        if interrupted:
            done = f"interrupted ({INTERRUPTS.name}): {done}"
        _say(done)
    if interrupted:
        return INTERRUPTS.exit_code
    return 2 if failed else 0


# --------------------------------------------------------------------------- video


def _default_video_output(inp: Path, style: str | None) -> Path:
    return inp.with_name(f"{inp.stem}.{style or 'stylized'}.mp4")


def cmd_video(args: argparse.Namespace) -> int:
    from .media import VideoFileSink, VideoFileSource, probe
    from .models import default_model
    from .sinks import NullSink

    check_options(args)
    inp = Path(args.input)
    meta = probe(inp)  # raises InputError for a missing / non-video / empty file
    style = args.style or default_model().name
    output = Path(args.output) if args.output else _default_video_output(inp, Path(style).stem)
    file_sink = None
    if str(output) == "-":  # null sink (benchmarks)
        sink = NullSink()
    else:
        sink = file_sink = VideoFileSink(
            output,
            audio_from=None if args.no_audio else str(inp),
            inputs=(inp,),
            crf=args.crf,
            overwrite=getattr(args, "overwrite", False),
        )
    st = _stylizer(args)
    from .smoothing import make_smoother

    smoother = make_smoother(args.smooth, args.smooth_strength)
    source = VideoFileSource(inp)
    progress = Progress(f"{inp.name} → {output.name}", meta.frame_count)
    from .pipeline import Pipeline

    step = _StylizeStep(st, smoother)
    pipe = Pipeline(source, step, [sink], progress=progress, max_frames=args.max_frames)
    try:
        with INTERRUPTS.running(pipe.stop, str(output)):
            stats = pipe.run()
    except StylecamError as exc:
        progress.finish()
        if file_sink is not None and file_sink.frames_written and file_sink.outcome() not in (exc.hint or ""):
            exc.hint = (exc.hint + "; " if exc.hint else "") + file_sink.outcome()
        raise
    finally:
        step.close()
    progress.finish()
    if stats.stop_reason == "interrupted":
        kept = file_sink.outcome() if file_sink is not None else f"{stats.frames_out} frames done"
        _say(f"interrupted ({INTERRUPTS.name}): {kept}")
        return INTERRUPTS.exit_code
    summary = _summary(
        "video",
        stats,
        st,
        str(output),
        input=str(inp),
        smooth=args.smooth,
        audio=meta.has_audio and not args.no_audio,
        size=[meta.width, meta.height],
        processing_size=list(st.processing_size(meta.width, meta.height)),
    )
    summary["ms_per_frame"].update(step.stage_ms())
    summary["peak_rss_mb"] = _peak_rss_mb()
    if args.json:
        _emit_json(summary)
    else:
        _say(f"wrote {stats.frames_out} frames to {output} in {stats.seconds:.1f} s ({stats.fps:.1f} fps)")
    return 0


# --------------------------------------------------------------------------- live


def cmd_live(args: argparse.Namespace) -> int:
    from .live import run_live

    check_options(args)
    return run_live(args)


# --------------------------------------------------------------------------- styles / info


def cmd_styles(args: argparse.Namespace) -> int:
    from .models import list_models, search_dirs

    models = list_models()
    if args.json:
        _emit_json(
            [
                {
                    "name": m.name,
                    "title": m.title,
                    "artist": m.artist,
                    "arch": m.arch,
                    "size_bytes": m.size_bytes,
                    "origin": m.origin,
                    "path": str(m.path),
                    "precisions": [m.precision, *m.variants],
                }
                for m in models
            ]
        )
        return 0
    if not models:
        dirs = ", ".join(str(d) for d, _ in search_dirs())
        _say(f"no styles found (searched {dirs})")
        return 1
    width = max(len(m.name) for m in models)
    for m in models:
        desc = m.describe() or "-"
        precisions = "+".join([m.precision, *m.variants])
        print(
            f"{m.name:<{width}}  {m.arch or '?':<7} {m.size_bytes / 1e6:5.2f} MB  {precisions:<14} "
            f"{m.origin:<7}  {desc}"
        )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    import cv2
    import onnxruntime as ort

    from .engine import cpu_int8_kind, create_session
    from .gpu_libraries import find_libraries
    from .models import default_model, search_dirs

    info: dict = {
        "stylecam": __version__,
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "onnxruntime": ort.__version__,
        "cpu_count": os.cpu_count(),
        "cpu_int8_dot": cpu_has_int8_dot(),
        # dot (VNNI/AMX/Arm dot product) or avx2: --precision auto runs int8 (avx2: 7-bit files); none: fp32
        "cpu_int8": cpu_int8_kind(),
    }
    try:
        import av

        info["pyav"] = av.__version__
    except ImportError:
        info["pyav"] = None
    info["providers_available"] = ort.get_available_providers()
    working: dict[str, str] = {}
    try:
        model = default_model()
        for dev in ("tensorrt", "cuda", "cpu"):
            try:
                create_session(model.path, dev)
                working[dev] = "works"
            except StylecamError as exc:
                working[dev] = exc.message
    except StylecamError as exc:
        working["note"] = exc.message
    info["devices"] = working
    # where each NVIDIA library was found (a wheel, the system) or that it is missing, and what fixes it
    gpu = None
    if "CUDAExecutionProvider" in info["providers_available"]:
        gpu = find_libraries("tensorrt")  # the CUDA libraries, TensorRT's and the driver
        cuda = find_libraries("cuda", driver=gpu.driver)
        info["gpu_libraries"] = gpu.as_dict()
        info["gpu_fix"] = {
            "cuda": cuda.fix() or "nothing missing",
            "tensorrt": gpu.fix() or "nothing missing",
        }
    else:
        info["gpu_libraries"] = (
            "this onnxruntime build has no CUDA provider (onnxruntime-gpu: Linux, Windows x86_64)"
        )
    try:
        from .camera import list_cameras

        info["cameras"] = list_cameras()
    except ImportError:
        info["cameras"] = []
    from .window import has_display

    info["display"] = has_display()
    info["model_dirs"] = [str(d) for d, _ in search_dirs()]
    if args.json:
        _emit_json(info)
        return 0
    for k, v in info.items():
        if k == "gpu_libraries" and gpu is not None:
            print(f"gpu_libraries (onnxruntime-gpu built for CUDA {gpu.cuda_major}):")
            for line in gpu.lines():
                print(f"  {line}")
        elif isinstance(v, dict):
            print(f"{k}:")
            for kk, vv in v.items():
                print(f"  {kk:<9} {vv}")
        elif isinstance(v, list):
            print(f"{k}: {', '.join(map(str, v)) if v else '-'}")
        else:
            print(f"{k}: {v}")
    return 0


# --------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import make_demo_clip, play

    output = Path(args.output)
    from .sinks import check_output_dir

    check_output_dir(output)
    clip = make_demo_clip(Path(args.workdir) if args.workdir else None)
    ns = argparse.Namespace(**vars(args))
    ns.input = str(clip)
    ns.output = str(output)
    ns.no_audio = False
    ns.max_frames = None
    ns.crf = 20
    ns.overwrite = args.overwrite
    code = cmd_video(ns)
    if code == 0 and not args.no_show:
        play(output)
    return code


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Turn live video into moving paintings: webcam, video files, images, virtual camera.",
    )
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="stylize a built-in clip (no camera needed) into stylecam-demo.mp4")
    d.add_argument("-o", "--output", default="stylecam-demo.mp4")
    d.add_argument("--no-show", action="store_true", help="do not play the result in a window")
    d.add_argument("--workdir", help=argparse.SUPPRESS)
    _add_overwrite_options(d)
    _add_model_options(d)
    _add_smooth_options(d, "flow")
    d.set_defaults(func=cmd_demo)

    im = sub.add_parser("image", help="stylize image files or folders")
    im.add_argument("inputs", nargs="+", metavar="IN", help="image files and/or folders of images")
    im.add_argument("-o", "--output", required=True, help="output file (one input) or folder")
    im.add_argument("--format", default=".png", choices=(".png", ".jpg"), help="file type for folder output")
    _add_overwrite_options(im, "existing output images")
    _add_model_options(im)
    im.set_defaults(func=cmd_image)

    v = sub.add_parser("video", help="stylize a video file, keeping its sound")
    v.add_argument("input", metavar="IN")
    v.add_argument(
        "-o", "--output", help="output video (default: IN.STYLE.mp4 beside the input; '-' discards)"
    )
    v.add_argument("--no-audio", action="store_true", help="drop the sound")
    v.add_argument("--crf", type=int, default=18, help="H.264 quality, 0-51, lower is better (default 18)")
    v.add_argument("--max-frames", type=int, help="stop after this many frames (1 or more)")
    _add_overwrite_options(v)
    _add_model_options(v)
    _add_smooth_options(v, "flow")
    v.set_defaults(func=cmd_video)

    lv = sub.add_parser("live", help="live preview from a camera (or a video file), with hotkeys")
    lv.add_argument(
        "source", nargs="?", default="0", help="camera index (default 0), device path or video file"
    )
    lv.add_argument("--record", metavar="FILE", help="also record the stylized stream to an mp4")
    lv.add_argument("--loop", action="store_true", help="loop a video-file source")
    lv.add_argument("--camera-size", help="capture size, e.g. 1280x720")
    lv.add_argument("--camera-fps", type=float, help="capture frame rate, e.g. 30")
    lv.add_argument(
        "--virtual-cam", action="store_true", help="send the output to a virtual camera (OBS, Zoom, Teams)"
    )
    lv.add_argument(
        "--no-window", action="store_true", help="no preview window (with --virtual-cam or --record)"
    )
    lv.add_argument("--fullscreen", action="store_true")
    lv.add_argument("--mirror", action="store_true", help="mirror the picture (selfie view)")
    lv.add_argument(
        "--crossfade", type=float, default=0.5, help="seconds to fade between styles (default 0.5)"
    )
    lv.add_argument(
        "--network",
        choices=("auto", "paint", "fast"),
        default="auto",
        help="auto: a style's painting network, or its fast network on a CPU that cannot run the painting "
        "network live; paint or fast to choose (default: auto)",
    )
    lv.add_argument("--strength", type=float, default=1.0, help="0..1 blend of stylized over original")
    lv.add_argument("--snapshots", default="snapshots", help="folder for snapshots (key s)")
    lv.add_argument("--recordings", default="recordings", help="folder for recordings started with key r")
    lv.add_argument("--split", action="store_true", help="start in split view (original | stylized)")
    lv.add_argument(
        "--keep-colors", action="store_true", help="keep the original colours (stylized luminance)"
    )
    lv.add_argument("--virtual-cam-device", help="virtual camera device, e.g. /dev/video10")
    lv.add_argument("--virtual-cam-backend", help="pyvirtualcam backend (v4l2loopback, obs, unitycapture)")
    lv.add_argument("--max-frames", type=int, help=argparse.SUPPRESS)
    _add_overwrite_options(lv, "the --record file")
    _add_model_options(lv)
    _add_smooth_options(lv, "flow")
    lv.set_defaults(func=cmd_live)

    s = sub.add_parser("styles", help="list the installed styles")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_styles)

    i = sub.add_parser("info", help="versions, devices, cameras")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)

    b = sub.add_parser(
        "bench", help="benchmark the styles on this machine (see scripts/bench.py)", add_help=False
    )
    b.set_defaults(func=None)
    sub.add_parser(
        "train", help="train a new style from a painting (needs the 'train' extra)", add_help=False
    )
    sub.add_parser(
        "export", help="export a training checkpoint to ONNX (needs the 'train' extra)", add_help=False
    )
    sub.add_parser(
        "variants",
        help="write a style's fp16 (GPU) and int8 (CPU) variants (needs the 'train' extra)",
        add_help=False,
    )
    return p


def _forward(command: str, argv: list[str]) -> int:
    """``train``, ``export``, ``variants`` and ``bench`` have their own parsers (and may import torch)."""
    if command in ("train", "export", "variants"):
        try:
            from .training import cli as training_cli
        except ImportError as exc:
            _say(f"error: training needs PyTorch ({exc.name} is missing) — pip install 'stylecam[train]'")
            return 3
        fn = {
            "train": training_cli.train_main,
            "export": training_cli.export_main,
            "variants": training_cli.variants_main,
        }[command]
        return int(fn(argv) or 0)
    from . import bench

    return int(bench.main(argv) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stylecam`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _quiet_onnxruntime()
    with INTERRUPTS.installed():
        return _main(argv)


def _main(argv: list[str]) -> int:
    try:
        if argv and argv[0] in ("train", "export", "variants", "bench"):
            return _forward(argv[0], argv[1:])
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        return int(args.func(args) or 0)
    except StylecamError as exc:
        _say(f"error: {exc.one_line()}")
        return exc.exit_code
    except KeyboardInterrupt:
        _say(f"interrupted ({INTERRUPTS.name})")
        return INTERRUPTS.exit_code
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: one line, never a traceback (STYLECAM_DEBUG=1 shows it)
        if os.environ.get("STYLECAM_DEBUG"):
            raise
        text = " ".join(str(exc).split())[:300]
        _say(
            f"error: {type(exc).__name__}: {text} — this is a bug; rerun with STYLECAM_DEBUG=1 and report it"
        )
        return 1


def _quiet_onnxruntime() -> None:
    """ONNX Runtime logs warnings to stderr; keep errors only."""
    try:
        import onnxruntime as ort

        ort.set_default_logger_severity(3)
    except ImportError:
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
