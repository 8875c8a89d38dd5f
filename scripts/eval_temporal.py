#!/usr/bin/env python
"""Measure temporal consistency, fidelity and cost of the ``--smooth`` modes on real clips.

For each clip and style the clip is stylized once per frame and every smoothing
mode is applied to the same network outputs. Per mode it reports:

* **warping error** (Lai et al. 2018, "Learning Blind Video Temporal
  Consistency"): ``E = mean_t Σ M·(O_t − W(O_{t+1}))² / Σ M`` with RGB in
  [0, 1] and ``M`` counted per channel. ``W`` warps ``O_{t+1}`` back onto
  frame ``t`` with the optical flow of the *input* frames ``t → t+1`` computed
  by a reference method the runtime does not use: OpenCV's DIS at its MEDIUM
  preset (with variational refinement) on the full-resolution frames
  (``--ref farneback`` adds Farnebäck's method, which proved far less accurate
  on the Sintel pairs). ``M`` keeps the pixels that pass Ruder et al.'s
  forward-backward test ``|w + ŵ|² ≤ 0.01(|w|² + |ŵ|²) + 0.5`` and land inside
  the frame; a pair where ``M`` covers under 10 % of the frame is a scene cut
  and is left out. For the Sintel folders the ground-truth flow and
  occlusion/invalid masks are used instead (the one annotated pair, frames
  2 → 3).
* **ema at flow's fidelity**: extra ``ema`` rows (``--sweep``) find ema's
  lowest warping error among the strengths whose moving-pixel PSNR is at least
  flow's; the verdict line under each table compares flow with it.
* **fidelity**: PSNR (dB) of the smoothed output against the per-frame
  (``none``) output, over all pixels and over the moving pixels (reference
  flow from the previous frame of at least ``--moving-px`` pixels), so that a
  method that freezes or blurs the picture cannot win.
* the warping error of the **input** frames themselves, the same way: a floor for any output
  that follows the content (film grain, lighting and compression change the input too).
* **cost**: median milliseconds of ``Smoother.update`` per frame at 640x360
  and 1280x720 (the clip's frames resized), on this machine.

Usage::

    python scripts/eval_temporal.py ../shared/data/video/cockatoo_handheld_1280x720_14s.mp4 \\
        --style starry-night --style the-scream --json runs/temporal.json \\
        --picture docs/smoothing_modes.jpg --picture-frame 222
    python scripts/eval_temporal.py --timing-only --threads 1 CLIP...   # the ms table only

``--style standin`` uses a stand-in network (a fixed random filter bank fed
with per-frame noise) that flickers like a real one; it needs no model file.
Several clips and styles may be given; the tables are printed per clip and
style, and the JSON holds everything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stylecam.sizes import parse_wh  # noqa: E402
from stylecam.smoothing import SMOOTH_MODES, make_smoother  # noqa: E402
from stylecam.stage import flow_detail  # noqa: E402

TIMING_SIZES = ((640, 360), (1280, 720))


# --------------------------------------------------------------------------- stylizers


class StandInStylizer:
    """A per-frame "network" that flickers the way real ones do, for development without models.

    The frame gets a little Gaussian noise (sensor noise), then a fixed bank
    of random 7x7 filters followed by a sine makes stroke-like textures whose
    phase swings with small input changes; they are painted over a blurred,
    recoloured copy of the frame.
    """

    name = "standin"

    def __init__(self, seed: int = 0, noise: float = 1.0, gain: float = 0.04) -> None:
        rng = np.random.default_rng(seed)
        self.kernels = [rng.standard_normal((7, 7)).astype(np.float32) for _ in range(3)]
        self.palette = rng.uniform(-60, 60, (3, 3)).astype(np.float32)
        self.mix = np.float32([[0.2, 0.5, 0.5], [0.6, 0.2, 0.3], [0.3, 0.3, 0.6]])
        self.noise = noise
        self.gain = gain
        self.rng = np.random.default_rng(seed + 1)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        x = frame.astype(np.float32)
        x += self.rng.normal(0.0, self.noise, x.shape).astype(np.float32)
        gray = cv2.cvtColor(x, cv2.COLOR_BGR2GRAY)
        base = cv2.transform(cv2.GaussianBlur(x, (0, 0), 2.0), self.mix)
        for k, color in zip(self.kernels, self.palette, strict=True):
            stroke = np.sin(cv2.filter2D(gray, -1, k) * np.float32(self.gain))
            base += stroke[..., None] * color
        return np.clip(base, 0, 255).astype(np.uint8)


def load_stylizer(
    style: str, device: str, precision: str = "auto"
) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """The stylizer for ``--style`` and its display name (with its precision when not float32)."""
    if style == "standin":
        return "standin", StandInStylizer()
    from stylecam.engine import Stylizer

    st = Stylizer(style, device=device, precision=precision)
    return (st.name if st.precision == "fp32" else f"{st.name} ({st.precision})"), st


def model_fingerprint(stylize: Callable) -> dict:
    """Which model file was measured: path, size and the start of its sha256 (models get retrained)."""
    report = getattr(stylize, "report", None)
    path = getattr(report, "path", None) or getattr(getattr(stylize, "info", None), "path", None)
    if path is None:
        return {}
    data = Path(path).read_bytes()
    return {"path": str(path), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()[:16]}


# --------------------------------------------------------------------------- clips


@dataclass
class Clip:
    """Frames of one clip at the evaluation size, and ground truth where there is some."""

    name: str
    path: Path
    frames: Callable[[], Iterator[np.ndarray]]
    count: int
    size: tuple[int, int]
    native: tuple[int, int]
    fps: float = 25.0
    gt: dict = field(default_factory=dict)  # sintel: {"pair": t, "flow": (H,W,2), "valid": (H,W) bool}


def _fit(width: int, height: int, max_width: int | None) -> tuple[int, int]:
    if not max_width or width <= max_width:
        return width, height
    return max_width, 2 * round(height * max_width / width / 2)


def open_clip(path: Path, max_width: int | None, max_frames: int | None, sintel_pass: str) -> Clip:
    """Open a video file, or a Sintel folder (``clean/``/``final/`` frames, ``flow/``, ``occlusions/``)."""
    if path.is_dir():
        return _open_sintel(path, sintel_pass)
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SystemExit(f"eval_temporal: cannot open {path}")
    width, height = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    cap.release()
    if max_frames:
        count = min(count, max_frames)
    size = _fit(width, height, max_width)

    def frames() -> Iterator[np.ndarray]:
        cap = cv2.VideoCapture(str(path))
        try:
            for _ in range(count):
                ok, img = cap.read()
                if not ok:
                    return
                yield img if size == (width, height) else cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        finally:
            cap.release()

    return Clip(path.stem, path, frames, count, size, (width, height), fps)


def read_flo(path: Path) -> np.ndarray:
    """A Middlebury ``.flo`` file as ``(H, W, 2)`` float32."""
    with open(path, "rb") as f:
        magic = np.fromfile(f, np.float32, 1)
        if magic.size != 1 or magic[0] != 202021.25:
            raise SystemExit(f"eval_temporal: {path} is not a .flo file")
        w, h = (int(v) for v in np.fromfile(f, np.int32, 2))
        return np.fromfile(f, np.float32, 2 * w * h).reshape(h, w, 2)


def _open_sintel(folder: Path, sintel_pass: str) -> Clip:
    files = sorted((folder / sintel_pass).glob("*.png"))
    flows = sorted((folder / "flow").glob("*.flo"))
    if not files or not flows:
        raise SystemExit(f"eval_temporal: {folder} has no {sintel_pass}/*.png or flow/*.flo")
    flo = flows[0]  # flow/frame_0002.flo: frame_0002 -> frame_0003
    names = [f.name for f in files]
    pair = names.index(flo.stem + ".png")
    flow = read_flo(flo)
    valid = np.ones(flow.shape[:2], bool)
    for sub in ("occlusions", "invalid"):
        mask = cv2.imread(str(folder / sub / (flo.stem + ".png")), cv2.IMREAD_GRAYSCALE)
        if mask is not None:
            valid &= mask < 128
    first = cv2.imread(str(files[0]))
    size = (first.shape[1], first.shape[0])

    def frames() -> Iterator[np.ndarray]:
        for f in files:
            yield cv2.imread(str(f))

    gt = {"pair": pair, "flow": flow, "valid": valid}
    return Clip(f"{folder.name} ({sintel_pass})", folder, frames, len(files), size, size, 24.0, gt)


# --------------------------------------------------------------------------- reference flow and metrics


class ReferenceFlow:
    """Forward and backward flow between input frames by a method the runtime does not use."""

    def __init__(self, method: str) -> None:
        self.method = method
        if method == "dis-medium":
            self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The flow ``a → b`` (grey ``uint8`` frames), ``(H, W, 2)`` float32."""
        if self.method == "dis-medium":
            return self._dis.calc(a, b, None)
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 5, 15, 3, 7, 1.5, 0)


def grid(height: int, width: int) -> np.ndarray:
    g = np.empty((height, width, 2), np.float32)
    g[..., 0] = np.arange(width, dtype=np.float32)[None, :]
    g[..., 1] = np.arange(height, dtype=np.float32)[:, None]
    return g


def consistent_mask(fwd: np.ndarray, bwd: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Ruder et al.'s forward-backward test for the flow ``t → t+1``, and the target inside the frame."""
    h, w = fwd.shape[:2]
    coords = base + fwd
    bwd_at = cv2.remap(bwd, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    total = fwd + bwd_at
    lhs = (total * total).sum(-1)
    rhs = 0.01 * ((fwd * fwd).sum(-1) + (bwd_at * bwd_at).sum(-1)) + 0.5
    x, y = coords[..., 0], coords[..., 1]
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    return (lhs <= rhs) & inside


def warping_error(
    o_t: np.ndarray, o_next: np.ndarray, fwd: np.ndarray, mask: np.ndarray, base: np.ndarray
) -> float:
    """Σ M·(O_t − W(O_{t+1}))² / Σ M, RGB in [0, 1], M per channel."""
    warped = cv2.remap(o_next, base + fwd, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    diff = (o_t.astype(np.float32) - warped.astype(np.float32)) / 255.0
    sq = (diff * diff).sum(-1)
    n = int(mask.sum())
    return float(sq[mask].sum() / (3 * n)) if n else float("nan")


def psnr(sse: float, count: int) -> float:
    if count == 0:
        return float("nan")
    mse = sse / count
    return float("inf") if mse <= 0 else 10.0 * math.log10(1.0 / mse)


# --------------------------------------------------------------------------- evaluation

#: a pair whose reference flow is consistent on less than this share of the frame is a scene cut:
#: there is no motion to be consistent with, so the pair is left out of the warping error
CUT_MASK_SHARE = 0.1

#: clips shorter than this (the 4-frame Sintel sets) are not timed: too few frames for a median
MIN_TIMING_FRAMES = 20

#: strengths of the extra ``ema`` rows (``--sweep``) that find ema's warping error at flow's fidelity
DEFAULT_SWEEP = (0.2, 0.35, 0.5, 0.65)


def parse_label(label: str) -> tuple[str, float | None]:
    """``'flow'`` → ``('flow', None)``; ``'ema@0.5'`` → ``('ema', 0.5)``."""
    mode, _, value = label.partition("@")
    return mode, (float(value) if value else None)


@dataclass
class ModeStats:
    warp: dict[str, list[float]] = field(default_factory=dict)  # reference -> per-pair errors
    sse_all: float = 0.0
    n_all: int = 0
    sse_moving: float = 0.0
    n_moving: int = 0
    cuts: int = 0
    ms: dict[str, float] = field(default_factory=dict)


def evaluate(
    clip: Clip,
    style_name: str,
    stylize: Callable[[np.ndarray], np.ndarray],
    labels: list[str],
    strength: float | None,
    refs: list[str],
    moving_px: float,
    picture_frame: int | None,
    timing_frames: int,
) -> dict:
    """Run every mode (``labels``: ``'flow'``, ``'ema@0.5'``, ...) on one clip with one style."""
    smoothers = {}
    detail = flow_detail(stylize)  # as the runtime's StylizeStep chooses it for this network
    for label in labels:
        mode, value = parse_label(label)
        smoothers[label] = make_smoother(mode, strength if value is None else value, detail)
    stats = {m: ModeStats() for m in labels}
    references = {r: ReferenceFlow(r) for r in refs} if not clip.gt else {}
    width, height = clip.size
    base = grid(height, width)
    prev_gray = prev_frame = None
    prev_out: dict[str, np.ndarray] = {}
    input_warp: dict[str, list[float]] = {}  # the input's own warping error: the floor for any output
    kept_in: list[np.ndarray] = []
    kept_styl: list[np.ndarray] = []
    pick: dict = {"score": -1.0, "index": -1, "images": None}
    shown = [m for m in labels if "@" not in m]
    t_start = time.perf_counter()
    t_net = 0.0
    n = cut_pairs = pairs = 0
    for t, frame in enumerate(clip.frames()):
        n += 1
        t0 = time.perf_counter()
        styl = stylize(frame)
        t_net += time.perf_counter() - t0
        outs = {m: smoothers[m].update(frame, styl) for m in labels}  # update returns its own copy
        if len(kept_in) < timing_frames:
            kept_in.append(frame)
            kept_styl.append(styl)
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        moving = None
        speed = 0.0
        trackable = True  # for the picture: motion the reference flow follows, not a whip pan or a cut
        if prev_gray is not None and clip.gt and t - 1 == clip.gt["pair"]:
            fwd, mask = clip.gt["flow"], clip.gt["valid"]
            pairs += 1
            for m in labels:
                stats[m].warp.setdefault("ground truth", []).append(
                    warping_error(prev_out[m], outs[m], fwd, mask, base)
                )
            input_warp.setdefault("ground truth", []).append(
                warping_error(prev_frame, frame, fwd, mask, base)
            )
            magnitude = np.linalg.norm(fwd, axis=-1)
            moving, speed = magnitude >= moving_px, float(magnitude.mean())  # frame t-1's motion, for t
        elif prev_gray is not None and not clip.gt:
            pairs += 1
            for r, ref in references.items():
                fwd, bwd = ref(prev_gray, gray), ref(gray, prev_gray)
                mask = consistent_mask(fwd, bwd, base)
                if moving is None:
                    magnitude = np.linalg.norm(bwd, axis=-1)
                    moving, speed = magnitude >= moving_px, float(magnitude.mean())
                    cut = mask.mean() < CUT_MASK_SHARE
                    cut_pairs += cut
                    trackable = mask.mean() >= 0.8
                if cut:
                    continue
                for m in labels:
                    stats[m].warp.setdefault(r, []).append(
                        warping_error(prev_out[m], outs[m], fwd, mask, base)
                    )
                input_warp.setdefault(r, []).append(warping_error(prev_frame, frame, fwd, mask, base))
        if moving is not None:
            ref_out = outs.get("none", styl)
            for m in labels:
                d = outs[m].astype(np.float32) - ref_out.astype(np.float32)
                sq = (d * d).sum(-1) / (255.0 * 255.0)
                stats[m].sse_all += float(sq.sum())
                stats[m].n_all += 3 * sq.size
                if moving.any():
                    stats[m].sse_moving += float(sq[moving].sum())
                    stats[m].n_moving += 3 * int(np.count_nonzero(moving))
            if (
                picture_frame is None
                and clip.count // 4 <= t <= 3 * clip.count // 4
                and trackable
                and getattr(smoothers.get("flow"), "confidence", 1.0) > 0
                and speed > pick["score"]
            ):
                pick = {"score": speed, "index": t, "images": (frame.copy(), {m: outs[m] for m in shown})}
        if picture_frame is not None and t == picture_frame:
            pick = {"score": 0.0, "index": t, "images": (frame.copy(), {m: outs[m] for m in shown})}
        prev_gray, prev_out, prev_frame = gray, outs, frame
    elapsed = time.perf_counter() - t_start
    for m in labels:
        stats[m].cuts = getattr(smoothers[m], "cuts", 0)
        if "@" not in m and len(kept_in) >= MIN_TIMING_FRAMES:
            stats[m].ms = time_modes(m, strength, kept_in, kept_styl, detail)
    result = {
        "clip": clip.name,
        "path": str(clip.path),
        "style": style_name,
        "frames": n,
        "size": f"{width}x{height}",
        "native_size": f"{clip.native[0]}x{clip.native[1]}",
        "reference": "ground truth" if clip.gt else refs,
        "pairs": pairs,
        "cut_pairs_skipped": cut_pairs,
        "moving_px": moving_px,
        "strength": strength,
        "flow_detail": detail,
        "seconds": round(elapsed, 1),
        "network_ms": round(1000 * t_net / max(1, n), 1),
        "input_warping_error": {r: float(np.mean(v)) for r, v in input_warp.items()},
        "modes": {},
        "picture_index": pick["index"],
    }
    for m in labels:
        st = stats[m]
        result["modes"][m] = {
            "strength": smoothers[m].strength,
            "warping_error": {r: float(np.mean(v)) if v else float("nan") for r, v in st.warp.items()},
            "psnr_all": psnr(st.sse_all, st.n_all),
            "psnr_moving": psnr(st.sse_moving, st.n_moving),
            "moving_fraction": (st.n_moving / st.n_all) if st.n_all else float("nan"),
            "cuts": st.cuts,
            "ms": st.ms,
        }
    result["verdict"] = verdict(result)
    result["_picture"] = pick["images"]
    return result


def verdict(result: dict) -> dict:
    """The issue's bar for one clip: flow halves none's warping error and beats ema at equal fidelity.

    ``ema_at_flow_fidelity`` is the lowest warping error of the ``ema`` rows (all strengths run)
    whose moving-pixel PSNR is at least flow's.
    """
    modes = result["modes"]
    if not {"none", "ema", "flow"} <= modes.keys():
        return {}
    ref = next(iter(modes["flow"]["warping_error"]), None)
    if ref is None:
        return {}

    def err(m: str) -> float:
        return modes[m]["warping_error"].get(ref, float("nan"))

    flow_pm = modes["flow"]["psnr_moving"]
    matched = [(err(m), m) for m in modes if m.startswith("ema") and modes[m]["psnr_moving"] >= flow_pm]
    best = min(matched) if matched else (float("nan"), None)
    out = {
        "reference": ref,
        "flow_over_none": err("flow") / err("none"),
        "flow_below_ema_same_strength": err("flow") < err("ema"),
        "ema_at_flow_fidelity": best[1],
        "ema_at_flow_fidelity_error": best[0],
        "flow_below_ema_at_equal_fidelity": bool(matched) and err("flow") < best[0],
        "flow_ms_640x360": modes["flow"]["ms"].get("640x360", float("nan")),
    }
    ms = out["flow_ms_640x360"]
    # the smoother's cost: under 5 ms a 640x360 frame beside a live network (the fast detail), and
    # under 15 % of the network's own time beside a painting network (the fine detail: files and GPUs)
    if result.get("flow_detail", "fast") == "fast":
        limit = 5.0
    else:
        w, h = parse_wh(result["size"]) or (640, 360)
        limit = 0.15 * result.get("network_ms", 0.0) * 640 * 360 / (w * h)
    out["flow_ms_limit"] = round(limit, 1)
    fast = math.isnan(ms) or ms < limit  # an untimed clip (Sintel) is judged on the errors only
    out["bar_met"] = bool(out["flow_over_none"] <= 0.5 and out["flow_below_ema_at_equal_fidelity"] and fast)
    return out


def time_modes(
    mode: str, strength: float | None, frames: list[np.ndarray], styl: list[np.ndarray], detail: str = "fast"
) -> dict:
    """Median ms of ``update`` at the timing sizes, over the kept frames (resized)."""
    out = {}
    for w, h in TIMING_SIZES:
        ins = [cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) for f in frames]
        sts = [cv2.resize(s, (w, h), interpolation=cv2.INTER_LINEAR) for s in styl]
        sm = make_smoother(mode, strength, detail)
        times = []
        for _ in range(2):  # two passes: the first warms caches and allocations
            times = []
            sm.reset()
            for f, s in zip(ins, sts, strict=True):
                t0 = time.perf_counter()
                sm.update(f, s)
                times.append(time.perf_counter() - t0)
        out[f"{w}x{h}"] = round(1000 * float(np.median(times[1:] or times)), 2) if times else float("nan")
    return out


def timing_only(videos: list[Path], modes: list[str], strength: float | None, count: int) -> int:
    """Print the cost table only: each clip's first ``count`` frames stand in for the network output too."""
    print(f"cv2 threads: {cv2.getNumThreads()}; median ms per frame of update()\n")
    head = ["clip", "mode"] + [f"ms @{w}x{h}" for w, h in TIMING_SIZES]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for video in videos:
        clip = open_clip(video, None, count, "final")
        frames = list(clip.frames())
        for m in modes:
            ms = time_modes(m, strength, frames, frames)
            row = [clip.name, f"`{m}`"] + [fmt(ms[f"{w}x{h}"], ".2f") for w, h in TIMING_SIZES]
            print("| " + " | ".join(row) + " |", flush=True)
    return 0


# --------------------------------------------------------------------------- output


def fmt(v: float | None, spec: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float) and math.isinf(v):
        return "∞"
    return format(v, spec)


def table(result: dict) -> str:
    """A Markdown table for one clip and style."""
    refs = list(next(iter(result["modes"].values()))["warping_error"].keys())
    head = ["mode", "strength"] + [f"E_warp ×10⁻³ ({r})" for r in refs]
    head += ["vs none", "PSNR all", "PSNR moving"] + [f"ms @{w}x{h}" for w, h in TIMING_SIZES] + ["resets"]
    none = result["modes"].get("none", {}).get("warping_error", {})
    first = refs[0] if refs else None
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m, r in result["modes"].items():
        mode = parse_label(m)[0]
        row = [f"`{mode}`", fmt(r["strength"], ".2f") if mode != "none" else ""]
        row += [fmt(1000 * r["warping_error"][k], ".3f") for k in refs]
        ratio = r["warping_error"].get(first, float("nan")) / none[first] if first in none else float("nan")
        row += [fmt(ratio, ".2f"), fmt(r["psnr_all"], ".2f"), fmt(r["psnr_moving"], ".2f")]
        row += [fmt(r["ms"].get(f"{w}x{h}"), ".2f") if r["ms"] else "" for w, h in TIMING_SIZES]
        row += [str(r["cuts"]) if mode == "flow" else ""]
        lines.append("| " + " | ".join(row) + " |")
    floor = result.get("input_warping_error", {}).get(first)
    lines.append("")
    lines.append(f"the input frames' own E_warp ×10⁻³: {fmt(1000 * floor if floor else None, '.3f')}")
    v = result.get("verdict") or {}
    if v:
        lines.append(
            f"flow/none = {v['flow_over_none']:.2f}; ema at flow's moving-pixel fidelity: "
            f"{v['ema_at_flow_fidelity'] or 'none of the strengths run'} "
            f"(E {fmt(1000 * v['ema_at_flow_fidelity_error'], '.3f')}); "
            f"flow below ema at equal strength: {v['flow_below_ema_same_strength']}; "
            f"bar met: {v['bar_met']}"
        )
    return "\n".join(lines)


def save_picture(path: Path, result: dict) -> None:
    """The picked frame: input and each mode side by side, labelled, 2 columns."""
    frame, outs = result["_picture"]
    panels = [("input", frame)] + [(m, img) for m, img in outs.items()]
    h, w = frame.shape[:2]
    scale = min(1.0, 640 / w)
    pw, ph = round(w * scale), round(h * scale)
    tiles = []
    for label, img in panels:
        tile = cv2.resize(img, (pw, ph), interpolation=cv2.INTER_AREA)
        text = f"input (frame {result['picture_index']})" if label == "input" else f"--smooth {label}"
        cv2.rectangle(tile, (0, 0), (pw, 26), (0, 0, 0), -1)
        cv2.putText(tile, text, (8, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    if len(tiles) % 2:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i : i + 2]) for i in range(0, len(tiles), 2)]
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 85])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument(
        "videos", nargs="+", type=Path, help="video files, or Sintel folders with flow/ and occlusions/"
    )
    p.add_argument(
        "--style", action="append", default=[], help="style name or .onnx path ('standin': no model)"
    )
    p.add_argument("--modes", default=",".join(SMOOTH_MODES), help="comma-separated modes (default: all)")
    p.add_argument(
        "--strength", type=float, help="--smooth-strength for ema and flow (default: the runtime's)"
    )
    p.add_argument(
        "--sweep",
        default=",".join(str(v) for v in DEFAULT_SWEEP),
        help="extra ema strengths, to find ema's error at flow's fidelity ('' for none)",
    )
    p.add_argument("--max-width", type=int, default=640, help="evaluate at this width at most (default 640)")
    p.add_argument("--max-frames", type=int, help="only the first N frames of each clip")
    p.add_argument(
        "--ref", default="dis-medium", help="reference flows, comma-separated: dis-medium, farneback"
    )
    p.add_argument("--moving-px", type=float, default=1.0, help="a pixel moves when its flow is this long")
    p.add_argument("--sintel-pass", default="final", choices=("clean", "final"))
    p.add_argument("--device", default="cpu", help="engine device for the network (default cpu)")
    p.add_argument(
        "--precision", default="fp32", help="network precision: fp32 (default), int8, fp16 or auto"
    )
    p.add_argument("--threads", type=int, help="cv2.setNumThreads for the smoothers and the metrics")
    p.add_argument("--timing-frames", type=int, default=60, help="frames used for the ms measurements")
    p.add_argument(
        "--timing-only", action="store_true", help="only the ms table (no network: frames pass as output)"
    )
    p.add_argument("--picture", type=Path, help="save the picked frame under each mode side by side (JPEG)")
    p.add_argument(
        "--picture-frame", type=int, help="frame index for --picture (default: most motion, mid clip)"
    )
    p.add_argument("--picture-clip", help="substring of the clip used for --picture (default: the first)")
    p.add_argument("--json", type=Path, help="write the results here (default: print them after the tables)")
    p.add_argument("--markdown", type=Path, help="also write the tables here, one section per clip and style")
    args = p.parse_args(argv)

    if args.threads:
        cv2.setNumThreads(args.threads)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if args.timing_only:
        return timing_only(args.videos, modes, args.strength, args.timing_frames)
    if not args.style:
        p.error("--style is required (or --timing-only)")
    labels = modes + [f"ema@{float(v):g}" for v in args.sweep.split(",") if v.strip() and "ema" in modes]
    refs = [r.strip() for r in args.ref.split(",") if r.strip()]
    results = []
    sections = []
    picture_done = False
    for style in args.style:
        name, stylize = load_stylizer(style, args.device, args.precision)
        fingerprint = model_fingerprint(stylize)
        for video in args.videos:
            clip = open_clip(video, args.max_width, args.max_frames, args.sintel_pass)
            wanted = (
                args.picture
                and not picture_done
                and (not args.picture_clip or args.picture_clip in clip.name)
            )
            res = evaluate(
                clip,
                name,
                stylize,
                labels,
                args.strength,
                refs,
                args.moving_px,
                args.picture_frame if wanted else None,
                args.timing_frames,
            )
            if wanted and res["_picture"] is not None:
                save_picture(args.picture, res)
                picture_done = True
                res["picture"] = str(args.picture)
            res.pop("_picture", None)
            res["model"] = fingerprint
            results.append(res)
            skipped = f", {res['cut_pairs_skipped']} cut pairs left out" if res["cut_pairs_skipped"] else ""
            section = (
                f"### {res['clip']} — style {name} {fingerprint.get('sha256', '')} — "
                f"{res['frames']} frames at {res['size']}\n\n"
                f"(network {res['network_ms']} ms/frame, flow detail {res.get('flow_detail', 'fast')}, eval {res['seconds']} s{skipped})\n\n{table(res)}\n"
            )
            sections.append(section)
            print("\n" + section, flush=True)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(sys.argv),
        "cv2_threads": cv2.getNumThreads(),
        "opencv": cv2.__version__,
        "results": results,
    }
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(sections))
    text = json.dumps(meta, indent=1, default=str)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
