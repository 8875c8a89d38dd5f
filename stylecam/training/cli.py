"""``stylecam train``, ``export`` and ``variants``: argument parsing, errors to one line and an exit code.

Both entry points import torch lazily, so that ``stylecam`` without the ``train`` extra can say what to
install instead of failing with a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import StylecamError

INSTALL_HINT = 'training needs torch: pip install "stylecam[train]"'


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError:
        return False
    return True


def _fail(prog: str, exc: StylecamError) -> int:
    print(f"{prog}: error: {exc.one_line()}", file=sys.stderr)
    return exc.exit_code


def train_parser() -> argparse.ArgumentParser:
    """The ``stylecam train`` argument parser."""
    from .train import TrainConfig

    d = TrainConfig()
    p = argparse.ArgumentParser(
        prog="stylecam train",
        description="Train a style network from one painting, or one network for several paintings, on a "
        "folder of photos, then export it to ONNX.",
    )
    p.add_argument(
        "--style",
        nargs="+",
        metavar="PAINTING",
        help="the painting (JPEG/PNG); several paintings or a folder of them train one multi-style "
        "'paint' network",
    )
    p.add_argument(
        "--teacher",
        metavar="STYLE",
        help="distil: train a fast live network to copy this style's network (a style name, a blend or an "
        ".onnx) instead of training from a painting; written as NAME.live.onnx beside it",
    )
    p.add_argument("--content", help="folder of training photos (searched recursively)")
    p.add_argument("--name", help="style name, e.g. 'my-style' (default: from the painting's file name)")
    p.add_argument("--names", help="with several paintings: their style names, comma-separated")
    p.add_argument("--arch", choices=ARCH_CHOICES, default=None, help="network (default: paint)")
    p.add_argument(
        "--from",
        dest="base",
        metavar="NETWORK",
        help="start from this painting network (a style name or .onnx) and train only the new style's norm "
        "parameters; 'scratch' trains a whole network (default for one painting: the shipped painting "
        "network, when there is one)",
    )
    p.add_argument(
        "--tune",
        choices=("norms", "all"),
        default="norms",
        help="with --from: train the new style's norm parameters only, or every weight (default: norms)",
    )
    p.add_argument("--size", type=int, help="training crop size (default: 192 for paint, 256 otherwise)")
    p.add_argument(
        "--steps",
        type=int,
        help=f"training steps (default: {FINE_TUNE_STEPS} from a painting network, else {d.steps})",
    )
    p.add_argument("-y", "--overwrite", action="store_true", help="replace an existing model of that name")
    p.add_argument("--batch", type=int, default=d.batch, help="batch size (default: %(default)s)")
    # loss weights: None = the architecture's default (see TrainConfig and PAINT_DEFAULTS); given with
    # --resume they replace the checkpoint's
    p.add_argument("--lr", type=float, help="Adam learning rate (paint 1e-3, fast 2e-3)")
    p.add_argument(
        "--style-lr-scale",
        type=float,
        help=f"multi-style network: each style's own norm parameters learn this much faster (default: {d.style_lr_scale:g})",
    )
    p.add_argument("--style-weight", type=float, help=f"(default: {d.style_weight:g})")
    p.add_argument("--content-weight", type=float, help="(default: paint 2.5, fast 2)")
    p.add_argument(
        "--colour-weight", type=float, help="keep the photo's colours at 1/8 scale (paint 30, fast 20)"
    )
    p.add_argument(
        "--colour-target",
        choices=("photo", "painting"),
        help="the colour term keeps the photo's own colours (fast), or the photo recoloured with the painting's "
        "(paint; histogram matching along its colour axes: the photo's light and contrasts, the painting's colours)",
    )
    p.add_argument(
        "--palette-weight", type=float, help="match the painting's colour distribution (paint 3, fast 0)"
    )
    p.add_argument(
        "--coarse-weight", type=float, help="style at the scale of strokes, --coarse-scale (paint 2, fast 0)"
    )
    p.add_argument("--coarse-scale", type=float, help=f"(default: {d.coarse_scale:g})")
    p.add_argument("--tv-weight", type=float, help=f"(default: {d.tv_weight:g})")
    p.add_argument(
        "--pixel-weight",
        type=float,
        help=f"--teacher: difference to its picture (default: {d.pixel_weight:g})",
    )
    p.add_argument(
        "--perceptual-weight",
        type=float,
        help=f"--teacher: VGG feature error to its picture (default: {d.perceptual_weight:g})",
    )
    p.add_argument("--lattice-weight", type=float, help="fast net: against a grid on its 4x4 output cells")
    p.add_argument("--temporal-weight", type=float, help=f"stability term (default: {d.temporal_weight:g})")
    p.add_argument("--content-layer", choices=("relu2_2", "relu3_3"), help=f"(default: {d.content_layer})")
    p.add_argument(
        "--style-layer-weights",
        metavar="W1,W2,W3,W4",
        help="weights of relu1_2,relu2_2,relu3_3,relu4_3 in the style loss (paint 0.5,1,1,1; fast 0.25,1,1,1)",
    )
    p.add_argument(
        "--style-size",
        type=int,
        default=d.style_size,
        help="painting's longer side in px (default: %(default)s)",
    )
    p.add_argument(
        "--vgg-weights", help="local VGG16 features state dict (default: torchvision's, downloaded)"
    )
    p.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip content files (repeatable)"
    )
    p.add_argument("--resume", metavar="CKPT", help="continue a run from its checkpoint")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="(default: %(default)s)")
    p.add_argument(
        "--precision",
        choices=("auto", "bf16", "fp16", "fp32"),
        default="auto",
        help="autocast: auto = bf16 where the CPU has it natively (AVX-512 BF16, AMX), else float32; "
        "on CUDA bf16 (Ampere and newer), else fp16 with loss scaling",
    )
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--seed", type=int, default=d.seed, help="(default: %(default)s)")
    p.add_argument("--checkpoint-dir", help="checkpoints and samples (default: checkpoints/NAME)")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help="(default: %(default)s)")
    p.add_argument("--sample-every", type=int, default=d.sample_every, help="0: none (default: %(default)s)")
    p.add_argument("--log-every", type=int, default=d.log_every, help="(default: %(default)s)")
    p.add_argument("-o", "--output", help="the .onnx to write (default: NAME.onnx in the user models folder)")
    p.add_argument("--no-variants", action="store_true", help="do not write the fp16 and int8 variants")
    return p


ARCH_CHOICES = ("paint", "fast", "quality")
#: steps of a new style started from a painting network (about 12 minutes on two AVX-512 cores)
FINE_TUNE_STEPS = 600
#: command-line option -> TrainConfig field, for the options whose default depends on the architecture
_TUNABLE = (
    "lr",
    "style_lr_scale",
    "style_weight",
    "content_weight",
    "colour_weight",
    "colour_target",
    "palette_weight",
    "coarse_weight",
    "coarse_scale",
    "tv_weight",
    "pixel_weight",
    "perceptual_weight",
    "lattice_weight",
    "temporal_weight",
    "content_layer",
    "style_layer_weights",
)


def _paintings(specs: list[str]) -> list[str]:
    """The painting files named by ``--style``: files, or the images in a folder."""
    from ..errors import InputError
    from .data import list_images

    out: list[str] = []
    for spec in specs:
        path = Path(spec)
        if path.is_dir():
            out += [str(p.resolve()) for p in list_images(path)]
        elif path.is_file():
            out.append(str(path.resolve()))
        else:
            raise InputError(
                f"painting not found: {spec}", "give JPEG or PNG files (or a folder) with --style"
            )
    return out


def train_main(argv: list[str]) -> int:
    """``stylecam train ARGS``: returns the process exit code."""
    if not _torch_available():
        print(f"stylecam train: error: {INSTALL_HINT}", file=sys.stderr)
        return 2
    from ..errors import InputError, OutputError
    from .data import check_painting, list_images
    from .styles import painting_info
    from .train import PAINT_DEFAULTS, TrainConfig, checkpoint_path, train

    args = train_parser().parse_args(argv)
    prog = "stylecam train"
    try:
        given = {k: getattr(args, k) for k in _TUNABLE if getattr(args, k) is not None}
        if "style_layer_weights" in given:
            given["style_layer_weights"] = _floats(given["style_layer_weights"])
        if args.arch is not None:
            given["arch"] = args.arch
        paintings: list[str] = []
        teacher_name = ""
        if args.teacher and args.resume is None:
            if args.style or args.base:
                raise InputError("--teacher copies a network", "give it without --style and --from")
            if not args.content:
                raise InputError("--content is required", "give a folder of photos to distil on")
            teacher_name = _teacher_name(args.teacher, args.name)
            given.setdefault("arch", "fast")
            list_images(args.content, args.exclude)  # a folder with no photos fails here, before the teacher
        elif args.resume is None:
            if not args.style or not args.content:
                raise InputError("--style and --content are required", "or continue a run with --resume CKPT")
            paintings = _paintings(args.style)
            if not paintings:
                raise InputError("no paintings given", "give JPEG or PNG files with --style")
        arch = given.get("arch", "paint")
        if len(paintings) > 1 and arch != "paint":
            raise InputError(f"the {arch} network holds one style", "use --arch paint for several paintings")
        photos = list_images(args.content, args.exclude) if paintings else []
        for painting in paintings:
            check_painting(painting, photos)
        base = (
            ""
            if args.teacher
            else _base_network(args.base, arch, len(paintings), args.resume is None and "arch" not in given)
        )
        if base:
            print(
                f"starting from the painting network {base} (its convolutions; the new style's own norm "
                f"parameters{'' if args.tune == 'norms' else ' and every weight'} are trained; --from scratch "
                "trains a whole network)",
                file=sys.stderr,
            )
        names = [n.strip() for n in args.names.split(",")] if args.names else []
        if names and len(names) != len(paintings):
            raise InputError(
                f"--names has {len(names)} names for {len(paintings)} paintings", "give one each"
            )
        if teacher_name:
            name = teacher_name
        elif len(paintings) == 1:
            name = args.name or painting_info(paintings[0])["name"]
        else:
            name = args.name or ("styles" if paintings else "")
        recipe = _base_recipe(base) if base else {}  # a new style joins its network with the same losses
        settings = {**(PAINT_DEFAULTS if arch == "paint" else {}), **recipe, **given, "arch": arch}
        cfg = TrainConfig(
            style=paintings[0] if len(paintings) == 1 else "",
            styles=paintings if len(paintings) > 1 else [],
            names=names,
            content=str(Path(args.content).resolve()) if args.content else "",
            name=name,
            size=args.size or (192 if arch == "paint" else 256),
            steps=args.steps
            if args.steps is not None
            else (FINE_TUNE_STEPS if base else TrainConfig().steps),
            base=base,
            tune=args.tune,
            teacher=args.teacher or "",
            batch=args.batch,
            style_size=args.style_size,
            vgg_weights=_vgg_path(args.vgg_weights),
            seed=args.seed,
            device=args.device,
            precision=args.precision,
            threads=args.threads,
            checkpoint_dir=args.checkpoint_dir or "",
            checkpoint_every=args.checkpoint_every,
            sample_every=args.sample_every,
            log_every=args.log_every,
            exclude=list(args.exclude),
            **settings,
        )
        if args.resume and not args.checkpoint_dir:
            cfg.checkpoint_dir = str(Path(args.resume).resolve().parent)
        if args.resume is None:  # refuse before training, not after
            planned = Path(args.output) if args.output else _default_output(name, bool(args.teacher))
            if planned.exists() and not args.overwrite:
                raise OutputError(f"{planned} exists", "give another --name or -o, or -y to replace it")
        if args.resume is not None and args.steps is None:
            cfg.steps = _saved_steps(args.resume)
        final = train(cfg, resume=args.resume, overrides=given if args.resume else None)
        name = final["config"]["name"]
        out = (
            Path(args.output) if args.output else _default_output(name, bool(final["config"].get("teacher")))
        )
        ckpt = checkpoint_path(TrainConfig(checkpoint_dir=final["config"]["checkpoint_dir"]))
        err, reports = _export_into_place(ckpt, out, final["config"].get("content"), args.no_variants)
    except StylecamError as exc:
        return _fail(prog, exc)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; continue with --resume", file=sys.stderr)
        return 130
    losses = " ".join(f"{k} {v:.4g}" for k, v in final["losses"].items())
    print(f"trained '{name}': {final['step']} steps in {final['elapsed']:.0f} s ({losses})")
    print(f"checkpoint: {ckpt}")
    print(f"exported {out} (ONNX Runtime vs PyTorch max error {err:g} levels)")
    _print_variants(reports)
    if final["config"].get("arch") == "paint" and args.device == "cpu":
        _live_hint(out, name, final["config"].get("content") or "photos/")
    return 0


def _live_hint(out: Path, name: str, content: str) -> None:
    """Say whether the new painting style runs live on this CPU, and how to get a live network if not."""
    from ..engine import LIVE_BUDGET_S, Stylizer

    try:
        st = Stylizer(out, device="cpu")
        if st.info.is_multi_style:
            st.set_style_weights({name: 1.0})
        seconds = st.time_network(640, 360)
    except StylecamError:
        return
    if seconds <= LIVE_BUDGET_S:
        print(f"live: {seconds * 1000:.0f} ms a 640x360 frame on this CPU, fast enough to run live as it is")
        return
    print(
        f"live: {seconds * 1000:.0f} ms a 640x360 frame on this CPU, too slow for live video (24 fps); distil "
        f"a fast live network from it with: stylecam train --teacher {name} --content {content}"
    )


def _base_recipe(base: str) -> dict:
    """The loss settings the painting network ``base`` was trained with (from its metadata), so that a new
    style fine-tuned from it is balanced as its styles were."""
    import json

    from ..models import read_metadata

    try:
        training = json.loads(read_metadata(base).get("training", "{}"))
    except (ValueError, StylecamError):
        return {}
    recipe = {k: training[k] for k in _TUNABLE if k in training and k != "lr" and training[k] is not None}
    if "style_layer_weights" in recipe:
        recipe["style_layer_weights"] = tuple(recipe["style_layer_weights"])
    return recipe


def _default_output(name: str, distilled: bool) -> Path:
    """Where a trained network goes unless ``-o`` says: the user models folder, ``NAME.onnx``, or
    ``NAME.live.onnx`` for a distilled live network (listed as the fast alternative of its style)."""
    from ..models import user_models_dir

    return user_models_dir() / (f"{name}.live.onnx" if distilled else f"{name}.onnx")


def _teacher_name(spec: str, name: str | None) -> str:
    """The style name of a distilled network: ``--name``, else the teacher's style name.

    Raises:
        InputError: an unknown teacher, or a blend without ``--name``.
    """
    from ..errors import InputError, ModelError
    from ..models import find_model

    try:
        info = find_model(spec)
    except ModelError as exc:
        raise InputError(f"--teacher {spec}: {exc.message}", exc.hint) from None
    if name:
        return name
    if info.style_weights and sum(w > 0 for w in info.style_weights) > 1:
        raise InputError("--teacher is a blend", "name the distilled style with --name")
    return info.name


def _saved_steps(resume: str) -> int:
    """A resumed run's planned steps (``--resume`` without ``--steps`` finishes the run it continues)."""
    from .export import load_checkpoint

    ckpt = load_checkpoint(resume)
    return max(int(ckpt["config"].get("steps", 0)), int(ckpt.get("step", 0)))


def _base_network(spec: str | None, arch: str, n_paintings: int, default_ok: bool) -> str:
    """The painting network a new style starts from ('' for none): ``--from``, else the shipped one."""
    from ..errors import InputError, ModelError
    from ..models import find_model, network_files, shipped_models_dir

    if spec == "scratch":
        return ""
    if spec:
        try:
            info = find_model(spec)
        except ModelError as exc:
            raise InputError(exc.message, exc.hint) from None
        if info.arch != "paint" or not info.is_multi_style:
            raise InputError(f"--from {spec}: {info.path.name} is not a multi-style painting network")
        return str(info.path.resolve())
    if not default_ok or arch != "paint" or n_paintings != 1:
        return ""
    # the shipped folder itself: the listing shows a user's file first for styles it shares with the
    # shipped network (a style added earlier holds the shipped styles too), which must not hide it
    for info in network_files(shipped_models_dir(), "shipped"):
        if info.arch == "paint" and info.is_multi_style and info.precision == "fp32":
            return str(info.path.resolve())
    return ""


def _export_into_place(ckpt: Path, out: Path, content: str | None, no_variants: bool) -> tuple[float, list]:
    """Export (and make the variants) in a scratch folder beside ``out``, then move the files into place,
    so a failed export leaves nothing half-written in the models folder."""
    import os
    import shutil
    import tempfile

    from .export import export_checkpoint

    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.stem}.", dir=out.parent))
    try:
        err = export_checkpoint(ckpt, scratch / out.name)
        reports = _variants_after_export(scratch / out.name, content, no_variants)
        for f in sorted(scratch.iterdir(), key=lambda f: f.name == out.name):  # the float32 file last
            os.replace(f, out.parent / f.name)
        for r in reports:
            r.path = out.parent / Path(r.path).name
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return err, reports


def _variants_after_export(out: Path, content: str | None, skip: bool) -> list:
    """Write the fp16 and int8 variants beside a fresh export, calibrated on the training photos."""
    if skip:
        return []
    from .variants import build_variants

    folder = content if content and Path(content).is_dir() else None
    if folder is None:
        print("note: training photos not found; int8 is calibrated on the demo scene", file=sys.stderr)
    # the float32 model is written and usable: a variant that cannot be made is a note, not a failure
    return build_variants(out, calibration=folder, strict=False)


def _print_variants(reports: list) -> None:
    for r in reports:
        print(f"variant {r.summary()}")


def _floats(text: str) -> tuple[float, ...]:
    from ..errors import InputError

    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--style-layer-weights {text!r}: expected numbers like 1,1,1,0.2") from None


def _vgg_path(value: str | None) -> str | None:
    from .vgg import RANDOM

    if value is None or value == RANDOM:
        return value
    return str(Path(value).resolve())


def export_parser() -> argparse.ArgumentParser:
    """The ``stylecam export`` argument parser."""
    p = argparse.ArgumentParser(
        prog="stylecam export", description="Export a training checkpoint to a stylecam ONNX model."
    )
    p.add_argument("checkpoint", help="the .ckpt file written by 'stylecam train'")
    p.add_argument("-o", "--output", help="the .onnx to write (default: NAME.onnx in the user models folder)")
    p.add_argument(
        "--calibration", help="photos for int8 calibration (default: the training photos, when present)"
    )
    p.add_argument("--no-variants", action="store_true", help="do not write the fp16 and int8 variants")
    return p


def export_main(argv: list[str]) -> int:
    """``stylecam export CKPT [-o OUT]``: returns the process exit code."""
    if not _torch_available():
        print(f"stylecam export: error: {INSTALL_HINT}", file=sys.stderr)
        return 2
    from ..models import user_models_dir
    from .export import build_metadata, export_net, load_checkpoint, net_from_checkpoint

    args = export_parser().parse_args(argv)
    try:
        ckpt = load_checkpoint(args.checkpoint)
        meta = build_metadata(ckpt)
        out = Path(args.output) if args.output else user_models_dir() / f"{meta['name']}.onnx"
        err = export_net(net_from_checkpoint(ckpt), out, meta)
        print(f"exported {out} (ONNX Runtime vs PyTorch max error {err:g} levels)")
        content = args.calibration or ckpt.get("config", {}).get("content")
        if args.calibration and not Path(args.calibration).is_dir():
            from ..errors import InputError

            raise InputError(f"calibration folder not found: {args.calibration}", "give a folder of photos")
        _print_variants(_variants_after_export(out, content, args.no_variants))
    except StylecamError as exc:
        return _fail("stylecam export", exc)
    return 0


def variants_parser() -> argparse.ArgumentParser:
    """The ``stylecam variants`` argument parser."""
    p = argparse.ArgumentParser(
        prog="stylecam variants",
        description="Write the fp16 (GPU) and int8 (CPU) variants beside float32 style models.",
    )
    p.add_argument("models", nargs="+", help="float32 .onnx files (or style names)")
    p.add_argument("--calibration", help="folder of photos for int8 calibration (the training photos)")
    p.add_argument(
        "--precisions", default="fp16,int8", help="which variants, comma-separated (default: %(default)s)"
    )
    return p


def variants_main(argv: list[str]) -> int:
    """``stylecam variants MODEL... [--calibration DIR]``: returns the process exit code."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        print(
            'stylecam variants: error: needs the onnx package: pip install "stylecam[train]"', file=sys.stderr
        )
        return 2
    from ..models import find_model
    from .variants import build_variants

    args = variants_parser().parse_args(argv)
    try:
        precisions = tuple(p.strip() for p in args.precisions.split(",") if p.strip())
        for spec in args.models:
            info = find_model(spec)
            _print_variants(build_variants(info.path, precisions, args.calibration))
    except StylecamError as exc:
        return _fail("stylecam variants", exc)
    return 0
