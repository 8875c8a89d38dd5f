"""The training loop: perceptual loss (VGG16) + total variation + stability, bf16 autocast on the CPU.

Flat and seeded, in the manner of pytorch/examples' fast_neural_style. Every ``checkpoint_every`` steps
the network, the optimizer and the random state go to ``checkpoint_dir/last.ckpt`` so that a run can
be resumed exactly; sample stylizations go to ``checkpoint_dir/samples/``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from ..errors import InputError
from ..status import StatusLine
from .data import ContentSampler, list_images, load_style, read_rgb, to_image, to_tensor
from .distil import distil_terms
from .losses import (
    colour_directions,
    colour_loss,
    colour_model,
    content_loss,
    gram,
    lattice_loss,
    palette_loss,
    palette_projections,
    random_warp_grid,
    recolour,
    stability_loss,
    style_loss,
    tv_loss,
    warp,
)
from .nets import ARCHS, build_net, is_multi_style, size_multiple
from .vgg import VGG16Features

STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
COARSE_LAYERS = ("relu2_2", "relu3_3", "relu4_3")
LOSS_TERMS = (
    "content",
    "colour",
    "palette",
    "style",
    "coarse",
    "pixel",
    "perceptual",
    "tv",
    "lattice",
    "stability",
    "total",
)
PALETTE_QUANTILES = 256


@dataclass
class TrainConfig:
    """Settings of one training run (all saved in checkpoints and in the exported model).

    The content and style losses are relative errors (see :mod:`.losses`), so the default weights hold
    for the Caffe-scale activations of ``vgg16_features.pth`` and for torchvision's VGG16 alike
    (tuned with the former; see ``docs/styles.md``).

    ``style`` is one painting; ``styles`` several, trained together into one ``paint`` network whose
    conditional instance norms hold one scale and shift per painting (``names`` name them).
    """

    style: str = ""
    content: str = ""
    name: str = ""
    styles: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    arch: str = "fast"
    size: int = 256
    steps: int = 2000
    batch: int = 4
    lr: float = 2e-3
    #: learning rate of each style's own norm parameters (multi-style network), as a multiple of ``lr``
    style_lr_scale: float = 10.0
    style_weight: float = 5.0
    content_weight: float = 2.0
    tv_weight: float = 10.0
    colour_weight: float = 20.0
    #: what the colour term keeps at 1/8 scale: the 'photo''s own colours, or the photo in the
    #: 'painting''s colours (see :func:`.losses.recolour`): its light and contrasts, the painting's colours
    colour_target: str = "photo"
    #: sliced Wasserstein distance of the output's colours to the painting's (see :func:`.losses.palette_loss`)
    palette_weight: float = 0.0
    #: Gram loss of the output scaled by ``coarse_scale`` against the painting scaled alike: strokes and shapes
    coarse_weight: float = 0.0
    coarse_scale: float = 0.375
    temporal_weight: float = 50.0
    #: against a grid on the fast net's 4x4 output cells (see :func:`.losses.lattice_loss`)
    lattice_weight: float = 1000.0
    content_layer: str = "relu2_2"
    #: weights of relu1_2, relu2_2, relu3_3, relu4_3 in the style loss
    style_layer_weights: tuple[float, ...] = (0.25, 1.0, 1.0, 1.0)
    style_size: int = 512
    noise: float = 0.03
    vgg_weights: str | None = None
    seed: int = 0
    device: str = "cpu"
    #: 'auto' (bf16 autocast where the CPU computes bf16 natively, or fp16 on CUDA; float32 otherwise),
    #: 'bf16' or 'fp32'
    precision: str = "auto"
    threads: int | None = None
    checkpoint_dir: str = ""
    checkpoint_every: int = 100
    sample_every: int = 100
    log_every: int = 10
    exclude: list[str] = field(default_factory=list)
    #: a multi-style painting network (.onnx) to start from: the new styles get their own norm
    #: parameters beside its styles (see :mod:`.base`)
    base: str = ""
    #: with ``base``: 'norms' trains only the new styles' norm parameters, 'all' every weight
    tune: str = "norms"
    #: distillation: the network to copy (a style name, blend or .onnx; see :mod:`.distil`) instead of
    #: painting from the style losses
    teacher: str = ""
    #: name, title, artist and year of the teacher's style (filled in by the run)
    teacher_style: dict[str, str] = field(default_factory=dict)
    #: distillation: mean absolute difference to the teacher's picture, and VGG feature error to it
    pixel_weight: float = 10.0
    perceptual_weight: float = 1.0
    #: where the teacher's pictures are cached (default: beside the checkpoints)
    teacher_cache: str = ""

    @property
    def paintings(self) -> list[str]:
        """The painting files, one per style."""
        return list(self.styles) if self.styles else ([self.style] if self.style else [])

    @property
    def style_names(self) -> list[str]:
        """One name per painting."""
        from .styles import painting_info

        if self.names and len(self.names) == len(self.paintings):
            return list(self.names)
        if len(self.paintings) == 1 and self.name:
            return [self.name]
        return [painting_info(p)["name"] for p in self.paintings]


#: settings of the 'paint' network where they differ from the fast net's (``stylecam train`` applies them)
PAINT_DEFAULTS: dict[str, Any] = {  # the shipped painting network's recipe (docs/styles.md)
    "colour_weight": 30.0,
    "colour_target": "painting",
    "palette_weight": 3.0,
    "coarse_weight": 2.0,
    "content_weight": 2.5,
    "style_layer_weights": (0.5, 1.0, 1.0, 1.0),
    "lattice_weight": 0.0,
    "lr": 1e-3,
}


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bf16 natively (AVX-512 BF16 or AMX); elsewhere torch emulates it, ~40x
    slower than float32."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "").split()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(cfg: TrainConfig) -> str:
    """The autocast precision a run uses: 'bf16', 'fp16' (CUDA) or 'fp32'."""
    if cfg.precision != "auto":  # asked for (fp16 only on CUDA: see _check)
        return cfg.precision
    if cfg.device == "cuda":  # bf16 needs no loss scaling; GPUs before Ampere have fp16 only
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if cpu_has_bf16() else "fp32"


def checkpoint_path(cfg: TrainConfig) -> Path:
    """Where the run's rolling checkpoint lives."""
    return Path(cfg.checkpoint_dir) / "last.ckpt"


def weights_path(cfg: TrainConfig) -> Path:
    """Where the finished run's weights-only checkpoint goes (a third of the size: no optimizer state).

    It exports like a full checkpoint and ``--resume`` continues from it with a fresh optimizer.
    """
    return Path(cfg.checkpoint_dir) / "weights.ckpt"


def _check(cfg: TrainConfig) -> None:
    if cfg.arch not in ARCHS:
        raise InputError(f"unknown architecture '{cfg.arch}'", f"use one of {', '.join(ARCHS)}")
    m = size_multiple(cfg.arch)
    if cfg.size < 16 or cfg.size % m:
        raise InputError(f"--size {cfg.size} must be a multiple of {m}, at least 16")
    if len(cfg.style_layer_weights) != len(STYLE_LAYERS):
        raise InputError(
            f"--style-layer-weights needs {len(STYLE_LAYERS)} numbers ({', '.join(STYLE_LAYERS)})"
        )
    if cfg.batch < 1 or cfg.steps < 0:
        raise InputError("--batch must be at least 1 and --steps not negative")
    if cfg.precision not in ("auto", "bf16", "fp16", "fp32"):
        raise InputError(f"unknown precision '{cfg.precision}'", "use auto, bf16, fp16 (CUDA) or fp32")
    if cfg.precision == "fp16" and cfg.device != "cuda":
        raise InputError("--precision fp16 is for CUDA", "use bf16 or fp32 on the CPU")
    if len(cfg.paintings) > 1 and cfg.arch != "paint":
        raise InputError(f"the {cfg.arch} network holds one style", "use --arch paint for several paintings")
    if cfg.tune not in ("norms", "all"):
        raise InputError(f"unknown --tune '{cfg.tune}'", "use norms or all")
    if cfg.teacher and (cfg.paintings or cfg.base):
        raise InputError("--teacher copies a network: give no painting and no --from with it")
    if cfg.base and cfg.arch != "paint":
        raise InputError(f"a {cfg.arch} network cannot start from a painting network", "use --arch paint")
    if cfg.colour_target not in ("photo", "painting"):
        raise InputError(f"unknown --colour-target '{cfg.colour_target}'", "use photo or painting")
    if not 0.1 <= cfg.coarse_scale <= 1.0:
        raise InputError(f"--coarse-scale {cfg.coarse_scale} must be between 0.1 and 1")
    if cfg.device not in ("cpu", "cuda"):
        raise InputError(f"unknown device '{cfg.device}'", "use cpu or cuda")
    if cfg.device == "cuda" and not torch.cuda.is_available():
        from ..errors import DeviceError

        raise DeviceError("CUDA is not available to torch", "use --device cpu")


def _autocast(device: str, precision: str) -> contextlib.AbstractContextManager:
    if precision == "fp32":
        return contextlib.nullcontext()
    if device == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16 if precision == "bf16" else torch.float16)
    return torch.autocast("cpu", dtype=torch.bfloat16)


def _save(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _write_samples(
    net: torch.nn.Module, samples: list[torch.Tensor], path: Path, device: str, n_styles: int = 1
) -> None:
    """One image: the sample photos on top, their stylizations below (one row per style)."""
    net.eval()
    rows = [[to_image(x) for x in samples]]
    with torch.no_grad():
        for k in range(n_styles):
            row = []
            for x in samples:
                if is_multi_style(net):
                    onehot = torch.zeros(1, n_styles, device=device)
                    onehot[0, k] = 1.0
                    y = net(x.to(device), onehot)
                else:
                    y = net(x.to(device))
                row.append(to_image(y.float()))
            rows.append(row)
    net.train()
    grid = np.concatenate([np.concatenate(r, 1) for r in rows], 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))


def _sample_inputs(files: list[Path], n: int = 4, side: int = 256) -> list[torch.Tensor]:
    picks = [files[i * len(files) // n] for i in range(n)] if len(files) >= n else files
    out = []
    for p in picks:
        img = read_rgb(p)
        h, w = img.shape[:2]
        s = side / min(h, w)
        img = cv2.resize(img, (round(w * s) // 8 * 8, round(h * s) // 8 * 8), interpolation=cv2.INTER_AREA)
        c = (img.shape[1] - side) // 2
        out.append(to_tensor(img[:, c : c + side]))
    return out


def train(
    cfg: TrainConfig,
    resume: str | os.PathLike | None = None,
    log: Callable[[str], None] | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train a style network; returns the final checkpoint dict (also saved to ``checkpoint_path(cfg)``).

    Args:
        cfg: the run's settings. With ``resume``, the checkpoint's settings are used except ``steps``,
            ``device``, ``threads``, ``checkpoint_dir`` and the logging intervals, taken from ``cfg``.
        resume: a checkpoint to continue from (same step, same random state).
        log: where progress lines go (default: a progress bar on stderr).
        overrides: with ``resume``, settings that replace the checkpoint's (loss weights, learning rate).

    Raises:
        InputError: a missing painting, an empty content folder, a bad checkpoint or setting.
    """
    ckpt: dict[str, Any] | None = None
    if resume is not None:
        from .export import load_checkpoint

        ckpt = load_checkpoint(resume)
        saved = dict(ckpt["config"])
        for key in (
            "steps",
            "device",
            "precision",
            "threads",
            "checkpoint_dir",
            "checkpoint_every",
            "sample_every",
            "log_every",
        ):
            saved[key] = getattr(cfg, key)
        saved.update(overrides or {})
        known = {f.name for f in dataclasses.fields(TrainConfig)}
        cfg = TrainConfig(**{k: v for k, v in saved.items() if k in known})
    _check(cfg)
    if not cfg.checkpoint_dir:
        cfg.checkpoint_dir = str(Path("checkpoints") / (cfg.name or "style"))
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    device = torch.device(cfg.device)

    files = list_images(cfg.content, cfg.exclude)
    paintings = cfg.paintings
    n_styles = len(paintings)
    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    sampler = ContentSampler(files, cfg.size, rng)
    log = log or _ProgressBar(cfg.steps).update
    if cfg.teacher:
        from .distil import attach_teacher, open_teacher, teacher_style

        teacher = open_teacher(cfg.teacher, cfg.device, cfg.threads)
        cfg.teacher_style = teacher_style(teacher)
        if not cfg.name:
            cfg.name = cfg.teacher_style["name"]
        cache = cfg.teacher_cache or str(Path(cfg.checkpoint_dir) / "teacher-cache")
        attach_teacher(sampler, teacher, cache, log)
        del teacher
        n_styles = 1
    vgg = VGG16Features(cfg.vgg_weights).to(device)
    if cfg.base:
        from .base import read_base, shared_parameters, start_from_base

        net = start_from_base(read_base(cfg.base)[0], n_styles).to(device)
        if cfg.tune == "norms":
            for p in shared_parameters(net):
                p.requires_grad_(False)
    else:
        net = build_net(cfg.arch, n_styles).to(device)
    multi = is_multi_style(net)
    opt = torch.optim.Adam(_param_groups(net, cfg), lr=cfg.lr)
    step, elapsed = 0, 0.0
    if ckpt is not None:
        net.load_state_dict(ckpt["model"])
        step, elapsed = int(ckpt["step"]), float(ckpt.get("elapsed", 0.0))
        if "optim" in ckpt:  # a full checkpoint continues exactly; a weights-only one with a new optimizer
            opt.load_state_dict(ckpt["optim"])
            for group, fresh in zip(opt.param_groups, _param_groups(net, cfg), strict=False):
                group["lr"] = fresh["lr"]  # a resumed run may change the learning rate
            rng.bit_generator.state = ckpt["rng"]["numpy"]
            gen.set_state(ckpt["rng"]["torch"])
            torch.set_rng_state(ckpt["rng"]["torch_global"])

    distil = bool(cfg.teacher)
    if not distil:
        targets, coarse_targets, palette_targets, colour_models = _style_targets(cfg, vgg, device)
    layer_weights = dict(zip(STYLE_LAYERS, cfg.style_layer_weights, strict=True))
    directions = colour_directions().to(device)
    samples = _sample_inputs(files)
    out_dir = Path(cfg.checkpoint_dir)
    precision = resolve_precision(cfg)
    scaler = torch.amp.GradScaler(cfg.device, enabled=precision == "fp16")
    recent: dict[str, list[float]] = {k: [] for k in LOSS_TERMS}
    losses: dict[str, float] = dict(ckpt.get("losses", {})) if ckpt else {}

    def state() -> dict[str, Any]:
        return {
            "model": net.state_dict(),
            "optim": opt.state_dict(),
            "step": step,
            "elapsed": elapsed,
            "losses": losses,
            "config": dataclasses.asdict(cfg),
            "rng": {
                "numpy": rng.bit_generator.state,
                "torch": gen.get_state(),
                "torch_global": torch.get_rng_state(),
            },
        }

    def run_net(inp: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return net(inp, style) if multi else net(inp)

    def _save_both(st: dict[str, Any]) -> None:
        _save(checkpoint_path(cfg), st)
        _save(weights_path(cfg), {k: v for k, v in st.items() if k not in ("optim", "rng")})

    net.train()
    restore = _terminate_as_interrupt()
    t_last, s_last = time.perf_counter(), step
    t_start, s_start = t_last, step
    try:
        while step < cfg.steps:
            t0 = time.perf_counter()
            x = sampler.batch(cfg.batch).to(device)
            if distil:  # the photo and the same window of the teacher's picture
                x, teacher_y = x[:, :3], x[:, 3:]
            b, _, h, w = x.shape
            idx = torch.from_numpy(rng.integers(n_styles, size=b)).to(device)  # each sample its own painting
            onehot = F.one_hot(idx, n_styles).float()
            use_stab = cfg.temporal_weight > 0
            with _autocast(cfg.device, precision):
                if use_stab:  # the first half of the batch again, slightly moved (half the cost of all of it)
                    m = max(1, b // 2)
                    grid = random_warp_grid(m, h, w, gen).to(device)
                    moved = warp(x[:m], grid) + cfg.noise * torch.randn(x[:m].shape, generator=gen).to(device)
                    y_all = run_net(torch.cat([x, moved]), torch.cat([onehot, onehot[:m]]))
                    y, y_moved = y_all[:b], y_all[b:]
                else:
                    y = run_net(x, onehot)
                if distil:
                    feats = vgg(y, upto=cfg.content_layer)
                    with torch.no_grad():
                        x_feat = vgg(teacher_y, upto=cfg.content_layer)[cfg.content_layer]
                else:
                    feats = vgg(y)
                    with torch.no_grad():
                        x_feat = vgg(x, upto=cfg.content_layer)[cfg.content_layer]
                if cfg.coarse_weight > 0 and not distil:
                    small = F.interpolate(
                        y.float(),
                        scale_factor=cfg.coarse_scale,
                        mode="bilinear",
                        antialias=True,
                        align_corners=False,
                    )
                    coarse_feats = vgg(small)
            if distil:
                terms = distil_terms(
                    y, teacher_y, feats[cfg.content_layer], x_feat, cfg.pixel_weight, cfg.perceptual_weight
                )
            else:
                terms = {
                    "content": cfg.content_weight * content_loss(feats[cfg.content_layer], x_feat),
                    "style": cfg.style_weight
                    * style_loss(feats, {k: t[idx] for k, t in targets.items()}, layer_weights),
                }
                if cfg.coarse_weight > 0:
                    terms["coarse"] = cfg.coarse_weight * style_loss(
                        coarse_feats, {k: t[idx] for k, t in coarse_targets.items()}
                    )
                if cfg.palette_weight > 0:
                    terms["palette"] = cfg.palette_weight * palette_loss(
                        F.avg_pool2d(y.float(), 2), palette_targets[idx], directions
                    )
                if cfg.colour_weight > 0:
                    if cfg.colour_target == "painting":
                        with torch.no_grad():
                            target = recolour(x, *(t[idx] for t in colour_models))
                    else:
                        target = x
                    terms["colour"] = cfg.colour_weight * colour_loss(y, target)
            terms["tv"] = cfg.tv_weight * tv_loss(y)
            if cfg.lattice_weight > 0 and cfg.arch == "fast":
                terms["lattice"] = cfg.lattice_weight * lattice_loss(y)
            if use_stab:
                terms["stability"] = cfg.temporal_weight * stability_loss(
                    y_moved.float(), warp(y[: y_moved.shape[0]].float(), grid)
                )
            total = sum(terms.values())
            if not torch.isfinite(total):
                raise InputError(f"the loss diverged at step {step}", "lower --lr or the loss weights")
            opt.zero_grad(set_to_none=True)
            scaler.scale(total).backward()  # fp16 (CUDA before Ampere) needs its loss scaled
            scaler.step(opt)
            scaler.update()
            step += 1
            elapsed += time.perf_counter() - t0
            terms["total"] = total
            for k in LOSS_TERMS:
                if k in terms:
                    recent[k] = [*recent[k], float(terms[k].detach())][-20:]
            losses = {k: float(np.mean(v)) for k, v in recent.items() if v}  # last 20 steps
            if step % cfg.log_every == 0 or step == cfg.steps:
                now = time.perf_counter()
                n = step - s_last
                rate = n / max(now - t_last, 1e-9)
                t_last, s_last = now, step
                since = {k: float(np.mean(v[-n:])) for k, v in recent.items() if v}  # since the last line
                terms_text = " ".join(f"{k} {v:.4g}" for k, v in since.items())
                mean_rate = (step - s_start) / max(now - t_start, 1e-9)
                left = _duration((cfg.steps - step) / max(mean_rate, 1e-9))
                log(f"step {step}/{cfg.steps} {terms_text} | {rate:.2f} steps/s {precision} | {left} left")
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                _save_both(state())
            if cfg.sample_every and (step % cfg.sample_every == 0 or step == cfg.steps):
                _write_samples(
                    net, samples, out_dir / "samples" / f"step_{step:06d}.png", cfg.device, n_styles
                )
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (kill, a job scheduler): --resume continues from here
        _save_both(state())
        raise
    finally:
        restore()
    final = state()
    _save_both(final)
    return final


def _terminate_as_interrupt() -> Callable[[], None]:
    """Make SIGTERM (``kill``, a job scheduler, the end of a session) stop training as Ctrl-C does, so the
    checkpoint is saved; a background job started with ``&`` ignores SIGINT, so this is its only clean stop.
    Returns the function that puts the previous handler back. Does nothing off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _param_groups(net: torch.nn.Module, cfg: TrainConfig) -> list[dict[str, Any]]:
    """Adam groups: the shared weights at ``lr``; each style's own norm scales and shifts (the ``(n_styles,
    C)`` tables of a multi-style network) at ``lr * style_lr_scale``, as they learn from a fraction of the
    batches only."""
    from .base import is_style_table

    own = [p for n, p in net.named_parameters() if is_style_table(n, p)]
    ids = {id(p) for p in own}
    shared = [p for p in net.parameters() if id(p) not in ids and p.requires_grad]
    groups = [{"params": shared, "lr": cfg.lr}] if shared else []
    if own:
        groups.append({"params": own, "lr": cfg.lr * cfg.style_lr_scale})
    return groups


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _style_targets(
    cfg: TrainConfig, vgg: VGG16Features, device: torch.device
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], torch.Tensor, tuple[torch.Tensor, ...]]:
    """Per painting: Gram targets at ``style_size``, at ``style_size * coarse_scale``, the sorted colour
    projections of the palette loss and the colour model of :func:`.losses.recolour` (mean, axes,
    quantiles); each stacked over the paintings (first axis)."""
    grams: dict[str, list[torch.Tensor]] = {k: [] for k in STYLE_LAYERS}
    coarse: dict[str, list[torch.Tensor]] = {k: [] for k in COARSE_LAYERS}
    palettes = []
    models: list[tuple[torch.Tensor, ...]] = []
    directions = colour_directions().to(device)
    with torch.no_grad():
        for path in cfg.paintings:
            img = load_style(path, cfg.style_size).to(device)
            for k, v in vgg(img).items():
                if k in grams:
                    grams[k].append(gram(v)[0])
            small = load_style(path, max(32, round(cfg.style_size * cfg.coarse_scale))).to(device)
            for k, v in vgg(small).items():
                if k in coarse:
                    coarse[k].append(gram(v)[0])
            px = img[0].permute(1, 2, 0).reshape(-1, 3)
            palettes.append(palette_projections(px, directions, PALETTE_QUANTILES))
            models.append(colour_model(px))
    return (
        {k: torch.stack(v) for k, v in grams.items()},
        {k: torch.stack(v) for k, v in coarse.items()},
        torch.stack(palettes),
        tuple(torch.stack(parts) for parts in zip(*models, strict=True)),
    )


class _ProgressBar(StatusLine):
    """A one-line progress bar on a terminal; plain lines otherwise (log files)."""

    def __init__(self, total: int) -> None:
        super().__init__(width=200)
        self.total = max(total, 1)
        self.tty = sys.stderr.isatty()

    def update(self, text: str) -> None:
        """Show one ``step N/TOTAL ...`` line from the training loop."""
        try:
            done = int(text.split()[1].split("/")[0])
        except (IndexError, ValueError):
            done = 0
        filled = math.floor(20 * min(done, self.total) / self.total)
        line = f"[{'#' * filled}{'.' * (20 - filled)}] {text}"
        if not self.tty:
            print(line, file=sys.stderr, flush=True)
            return
        self.show(line)
        if done >= self.total:
            self.finish()
