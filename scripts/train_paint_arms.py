#!/usr/bin/env python3
"""Train several painting-network arms at once, side by side, for a fixed wall time: an A/B on one GPU.

Each arm is its own process (a small network leaves a big GPU mostly idle, so arms run side by side at
little cost to each other) and is stopped cleanly by SIGTERM after ``--minutes``, which saves its
checkpoint (as Ctrl-C does). Arms are named ``NAME=KEY:VALUE,KEY:VALUE`` over :class:`TrainConfig`'s
fields; ``from:CKPT`` starts from a checkpoint's weights (fresh optimizer; its paintings and recipe,
with the paths and the given keys replaced).

    python scripts/train_paint_arms.py --content PHOTOS --styles PAINTINGS_DIR --vgg-weights VGG.pth \\
        --out runs --minutes 8 --device cuda \\
        'cont=from:checkpoints/paint/weights.ckpt,batch:16,size:256,lr:5e-4' 'scratch=batch:16,size:256'

Writes ``OUT/NAME/weights.ckpt`` (weights only) and ``OUT/NAME/log.txt`` per arm, and prints one
summary line per arm (steps, steps/s, the last losses). Also times the network's forward pass on the
device (``--time-forward``), since a GPU machine is the place to measure that.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: the eight paintings of the shipped network, in its style order (impression-sunrise and
#: woman-with-a-hat are held out: they are added by fine-tuning, as a user's own painting is)
PAINTINGS = (
    "van_gogh_starry_night_1889",
    "munch_the_scream_1893",
    "hokusai_great_wave_off_kanagawa_c1831",
    "picabia_udnie_1913",
    "kandinsky_composition_vii_1913",
    "klimt_the_kiss_1908",
    "turner_shipwreck_of_the_minotaur_c1810",
    "monet_water_lilies_1919",
)


def _value(text: str) -> object:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    if "/" in text and not Path(text).exists() and all(_is_num(t) for t in text.split("/")):
        return tuple(float(t) for t in text.split("/"))  # style_layer_weights: 0.25/1/1/1
    return text


def _is_num(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_arm(spec: str) -> tuple[str, dict[str, object]]:
    """``NAME=KEY:VALUE,...`` as (name, settings)."""
    name, _, rest = spec.partition("=")
    settings: dict[str, object] = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition(":")
        settings[key.strip()] = _value(value.strip())
    return name.strip(), settings


def run_arm(args: argparse.Namespace, name: str, settings: dict[str, object]) -> None:
    """One arm, in this process (the child side)."""
    import torch

    from stylecam.training.train import PAINT_DEFAULTS, TrainConfig, train

    torch.backends.cudnn.benchmark = True
    out = Path(args.out) / name
    out.mkdir(parents=True, exist_ok=True)
    logf = (out / "log.txt").open("a", buffering=1)
    styles = [str(next(Path(args.styles).glob(stem + ".*")).resolve()) for stem in PAINTINGS]
    paths = {
        "content": str(Path(args.content).resolve()),
        "vgg_weights": str(Path(args.vgg_weights).resolve()),
        "exclude": ["sunhays80_*"],
    }
    run = {
        "steps": int(settings.pop("steps", 10**7)),
        "device": args.device,
        "precision": "auto",
        "threads": args.threads,
        "checkpoint_dir": str(out),
        "checkpoint_every": 250,
        "sample_every": 0,
        "log_every": 50,
    }
    start = settings.pop("from", None)
    if start:
        ckpt = torch.load(str(start), map_location="cpu", weights_only=False)
        config = dict(ckpt["config"])
        config.update(paths, styles=styles, style="")  # the given settings go in as overrides
        ckpt["config"] = config
        for key in ("optim", "rng"):
            ckpt.pop(key, None)
        resume = out / "start.ckpt"
        torch.save(ckpt, resume)
        run["steps"] += int(ckpt["step"])
        cfg = TrainConfig(**run)
        overrides = dict(settings)
    else:
        cfg = TrainConfig(  # the style names come from the paintings' files (painting_info)
            styles=styles,
            name="paint",
            arch="paint",
            **paths,
            **run,
            **{**PAINT_DEFAULTS, **settings},  # type: ignore[arg-type]
        )
        resume, overrides = None, None

    def log(line: str) -> None:
        logf.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    log(f"arm {name}: {json.dumps(settings)} from {start or 'scratch'}")
    try:
        train(cfg, resume=resume, log=log, overrides=overrides)
    except KeyboardInterrupt:
        log("stopped (time up): checkpoint saved")
    (out / "start.ckpt").unlink(missing_ok=True)
    (out / "last.ckpt").unlink(missing_ok=True)  # the weights-only file is what comes back


def time_forward(device: str) -> dict[str, float]:
    """Median forward time (ms) of the painting network at three frame sizes, batch 1, in bf16 and fp32."""
    import torch

    from stylecam.training.nets import PaintNet

    net = PaintNet(8).to(device).eval()
    style = torch.zeros(1, 8, device=device)
    style[0, 0] = 1
    result: dict[str, float] = {}
    for h, w in ((360, 640), (720, 1280), (1080, 1920)):
        x = torch.rand(1, 3, h, w, device=device)
        for dtype in (torch.float32, torch.bfloat16):
            times = []
            with torch.no_grad(), torch.autocast(device, dtype=dtype, enabled=dtype != torch.float32):
                for i in range(40):
                    if device == "cuda":
                        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                        a.record()
                        net(x, style)
                        b.record()
                        torch.cuda.synchronize()
                        ms = a.elapsed_time(b)
                    else:
                        t = time.perf_counter()
                        net(x, style)
                        ms = (time.perf_counter() - t) * 1000
                    if i >= 10:
                        times.append(ms)
            result[f"{w}x{h} {str(dtype).split('.')[-1]}"] = sorted(times)[len(times) // 2]
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("arms", nargs="*", help="NAME=KEY:VALUE,... (see the module docstring)")
    p.add_argument("--content", required=True)
    p.add_argument("--styles", required=True, help="folder holding the paintings")
    p.add_argument("--vgg-weights", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=8.0)
    p.add_argument("--device", default="cuda")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--time-forward", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        name, settings = parse_arm(args.child)
        run_arm(args, name, settings)
        return 0
    if args.time_forward:
        print(json.dumps({"forward_ms_median": time_forward(args.device)}), flush=True)
    base = [sys.executable, __file__, "--content", args.content, "--styles", args.styles]
    base += ["--vgg-weights", args.vgg_weights, "--out", args.out, "--device", args.device]
    base += ["--threads", str(args.threads)]
    procs = [subprocess.Popen([*base, "--child", spec]) for spec in args.arms]
    deadline = time.time() + args.minutes * 60
    while time.time() < deadline and any(pr.poll() is None for pr in procs):
        time.sleep(2)
    for pr in procs:
        if pr.poll() is None:
            pr.send_signal(signal.SIGTERM)
    for pr in procs:
        try:
            pr.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pr.kill()
    for spec in args.arms:
        name = parse_arm(spec)[0]
        log = Path(args.out) / name / "log.txt"
        lines = log.read_text().splitlines() if log.exists() else ["(no log)"]
        steps = [ln for ln in lines if " step " in ln]
        print(f"{name}: {steps[-1] if steps else lines[-1]}", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    raise SystemExit(main())
