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
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# numpy is loaded here, before main() installs the Ctrl-C handler: an interrupt during its import ends
# the process instead of leaving numpy half-imported for the command (ONNX Runtime imports it)
import numpy  # noqa: F401

from . import __version__
from .errors import StylecamError
from .interrupts import INTERRUPTS
from .models import PRECISIONS

if TYPE_CHECKING:
    from .api import ImageOptions, LiveOptions, VideoOptions

PROG = "stylecam"


# --------------------------------------------------------------------------- output helpers


def _say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr, flush=True)


def _emit_json(summary: dict) -> None:
    print(json.dumps(summary, indent=2, default=str))


# --------------------------------------------------------------------------- shared options


def _add_model_options(p: argparse.ArgumentParser) -> None:
    from .providers import DEVICES

    p.add_argument("-s", "--style", help="style name (see 'stylecam styles') or path to an .onnx file")
    p.add_argument(
        "--device",
        default="auto",
        choices=DEVICES,
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
    from .smoothing import SMOOTH_MODES

    p.add_argument(
        "--smooth",
        default=default,
        choices=SMOOTH_MODES,
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


# --------------------------------------------------------------------------- image


def _image_options(args: argparse.Namespace) -> ImageOptions:
    from .api import ImageOptions

    return ImageOptions(
        style=args.style,
        device=args.device,
        precision=args.precision,
        size=args.size,
        scale=args.scale,
        threads=args.threads,
        overwrite=args.overwrite,
        format=args.format,
    )


def cmd_image(args: argparse.Namespace) -> int:
    from .api import stylize_image

    options = _image_options(args)
    result = stylize_image(
        args.inputs, args.output, options=options, log=None if args.json else _say, progress=None
    )
    if args.json:
        _emit_json(result.summary)
    else:
        done = f"wrote {result.frames} image(s) to {args.output} ({result.seconds:.2f} s)"
        if result.failed:
            done += f"; {len(result.failed)} failed: " + ", ".join(str(f) for f, _ in result.failed)
        if result.interrupted:
            done = f"interrupted ({INTERRUPTS.name}): {done}"
        _say(done)
    if result.interrupted:
        return INTERRUPTS.exit_code
    return 2 if result.failed else 0


# --------------------------------------------------------------------------- video


def _video_options(args: argparse.Namespace, **fixed: Any) -> VideoOptions:
    """The model and smoothing arguments of ``video`` and ``demo`` as :class:`VideoOptions`, with ``fixed``
    (``crf``, ``audio``, ``max_frames``: ``video``'s own arguments, or what ``demo`` always uses)."""
    from .api import VideoOptions

    return VideoOptions(
        style=args.style,
        device=args.device,
        precision=args.precision,
        size=args.size,
        scale=args.scale,
        threads=args.threads,
        overwrite=args.overwrite,
        smooth=args.smooth,
        smooth_strength=args.smooth_strength,
        **fixed,
    )


def _run_video(src: str | Path, dst: str | Path | None, options: VideoOptions, json_summary: bool) -> int:
    from .api import stylize_video

    result = stylize_video(src, dst, options=options, log=None if json_summary else _say, progress=None)
    if result.interrupted:
        _say(f"interrupted ({INTERRUPTS.name}): {result.kept}")
        return INTERRUPTS.exit_code
    if json_summary:
        _emit_json(result.summary)
    else:
        output = result.output if result.output is not None else "-"
        _say(f"wrote {result.frames} frames to {output} in {result.seconds:.1f} s ({result.speed:.1f} fps)")
    return 0


def cmd_video(args: argparse.Namespace) -> int:
    options = _video_options(args, crf=args.crf, audio=not args.no_audio, max_frames=args.max_frames)
    return _run_video(args.input, args.output, options, args.json)


def _add_video_file_options(p: argparse.ArgumentParser) -> None:
    """``video``'s (and ``batch``'s) options for the file written: sound, quality, frame limit."""
    from .api import VideoOptions

    p.add_argument("--no-audio", action="store_true", help="drop the sound")
    p.add_argument(
        "--crf",
        type=int,
        default=VideoOptions.crf,
        help=f"H.264 quality, 0-51, lower is better (default {VideoOptions.crf})",
    )
    p.add_argument("--max-frames", type=int, help="stop after this many frames (1 or more)")


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch.command import run_batch_command

    options = _video_options(args, crf=args.crf, audio=not args.no_audio, max_frames=args.max_frames)
    return run_batch_command(
        args.inputs,
        args.output,
        options,
        ray=args.ray,
        workers=args.workers,
        chunk_seconds=args.chunk_seconds,
        json_summary=args.json,
        say=_say,
        shared=args.shared,
    )


# --------------------------------------------------------------------------- live


def _live_options(args: argparse.Namespace) -> LiveOptions:
    """``live``'s arguments as :class:`~stylecam.options.LiveOptions` (its field names are the option names);
    building them checks the ranges the commands share (``--threads``, ``--size``, ...)."""
    import dataclasses

    from .options import LiveOptions

    return LiveOptions(**{f.name: getattr(args, f.name) for f in dataclasses.fields(LiveOptions)})


def cmd_live(args: argparse.Namespace) -> int:
    from .live import run_live

    return run_live(_live_options(args))


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
                    # the style's other networks: the fast live network beside a painting network
                    "alternatives": [
                        {"arch": a.arch, "path": str(a.path), "precisions": [a.precision, *a.variants]}
                        for a in m.alternatives
                    ],
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
        archs = "+".join([m.arch or "?", *(a.arch for a in m.alternatives)])  # paint+fast: a live network too
        print(
            f"{m.name:<{width}}  {archs:<10} {m.size_bytes / 1e6:5.2f} MB  {precisions:<14} "
            f"{m.origin:<7}  {desc}"
        )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from .info import info_lines, system_info

    info, gpu = system_info()
    if args.json:
        _emit_json(info)
        return 0
    for line in info_lines(info, gpu):
        print(line)
    return 0


# --------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import make_demo_clip, play

    output = Path(args.output)
    from .sinks import check_output_dir

    check_output_dir(output)
    clip = make_demo_clip(Path(args.workdir) if args.workdir else None)
    options = _video_options(args, crf=20, audio=True, max_frames=None)
    code = _run_video(clip, output, options, args.json)
    if code == 0 and not args.no_show:
        play(output)
    return code


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    from .options import LiveOptions, VideoOptions  # the options' defaults (a light module)

    live = LiveOptions
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
    _add_smooth_options(d, VideoOptions.smooth)
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
    _add_video_file_options(v)
    _add_overwrite_options(v)
    _add_model_options(v)
    _add_smooth_options(v, VideoOptions.smooth)
    v.set_defaults(func=cmd_video)

    from .batch.command import add_batch_arguments

    bt = sub.add_parser("batch", help="stylize many videos and images, here or on a Ray cluster (--ray)")
    add_batch_arguments(bt)
    _add_video_file_options(bt)
    _add_overwrite_options(bt, "outputs this batch has not finished")
    _add_model_options(bt)
    _add_smooth_options(bt, VideoOptions.smooth)
    bt.set_defaults(func=cmd_batch)

    lv = sub.add_parser("live", help="live preview from a camera (or a video file), with hotkeys")
    lv.add_argument(
        "source",
        nargs="?",
        default=live.source,
        help=f"camera index (default {live.source}), device path or video file",
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
        "--crossfade",
        type=float,
        default=live.crossfade,
        help=f"seconds to fade between styles (default {live.crossfade:g})",
    )
    lv.add_argument(
        "--network",
        choices=("auto", "paint", "fast"),
        default=live.network,
        help="auto: a style's painting network, or its fast network on a CPU that cannot run the painting "
        "network live; paint or fast to choose (default: auto)",
    )
    lv.add_argument(
        "--strength", type=float, default=live.strength, help="0..1 blend of stylized over original"
    )
    lv.add_argument("--snapshots", default=live.snapshots, help="folder for snapshots (key s)")
    lv.add_argument("--recordings", default=live.recordings, help="folder for recordings started with key r")
    lv.add_argument("--split", action="store_true", help="start in split view (original | stylized)")
    lv.add_argument(
        "--keep-colors", action="store_true", help="keep the original colours (stylized luminance)"
    )
    lv.add_argument("--virtual-cam-device", help="virtual camera device, e.g. /dev/video10")
    lv.add_argument("--virtual-cam-backend", help="pyvirtualcam backend (v4l2loopback, obs, unitycapture)")
    lv.add_argument("--max-frames", type=int, help=argparse.SUPPRESS)
    _add_overwrite_options(lv, "the --record file")
    _add_model_options(lv)
    _add_smooth_options(lv, live.smooth)
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
