"""Distillation: a fast live network trained to copy a painting network's pictures.

The painting network (the teacher) is too slow for live video on a CPU; the ``fast`` network is fast
enough but, trained on the style losses alone, paints little more than a tint. Trained instead to copy the
teacher, it learns what the teacher draws. The teacher runs once per training photo, through ONNX Runtime
(the same session code as the runtime, so the student copies exactly what users see), at the size the
photos are held at in training; its pictures are cached on disk, keyed by the teacher file, its style
weights and that size, so later runs and resumed runs read them back. Each training crop then takes the
same window of the photo and of the teacher's picture.

The student's loss (see :func:`distil_terms`): a pixel term (mean absolute difference to the teacher's
picture), a light perceptual term (relative error of VGG relu2_2 features, which keeps the strokes' shape
where a pixel loss alone blurs them), and the usual total variation, lattice and stability terms.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from ..errors import InputError, ModelError
from .data import ContentSampler
from .losses import content_loss

#: where teacher pictures are cached unless the run says otherwise (beside the checkpoints)
CACHE_DIRNAME = "teacher-cache"


def open_teacher(spec: str, device: str = "cpu", threads: int | None = None) -> Any:
    """The teacher as a runtime :class:`~stylecam.engine.Stylizer` in float32: a style name, a blend
    (``'starry-night:0.7,the-scream:0.3'``) or an ``.onnx`` file.

    Raises:
        InputError: no such style, or a file that is not a style network.
    """
    from ..engine import Stylizer

    try:
        return Stylizer(spec, device="cuda" if device == "cuda" else "cpu", threads=threads, precision="fp32")
    except ModelError as exc:
        raise InputError(f"--teacher {spec}: {exc.message}", exc.hint) from None


def teacher_style(stylizer: Any) -> dict[str, str]:
    """Name, title, artist and year of the teacher's style (a blend is named after its parts)."""
    info = stylizer.info
    return {"name": info.name, **{k: info.get(k) for k in ("title", "artist", "year")}}


def cache_key(stylizer: Any, limit: int) -> str:
    """A short hash of what the teacher's pictures depend on: the file's bytes, the style weights and the
    size the photos are held at."""
    h = hashlib.sha1()
    with open(stylizer.info.path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    h.update(json.dumps([list(stylizer.info.style_weights or ()), limit]).encode())
    return h.hexdigest()[:16]


def attach_teacher(
    sampler: ContentSampler,
    stylizer: Any,
    cache_dir: str | os.PathLike,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Put the teacher's picture beside each of the sampler's photos (6 channels: photo RGB, teacher RGB),
    computing the pictures not yet in the cache. Returns the cache folder used.

    Raises:
        InputError: the cache folder cannot be written.
    """
    folder = Path(cache_dir) / cache_key(stylizer, int(sampler.size * 1.5))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the teacher cache {folder} ({exc.strerror})") from None
    todo = 0
    for i, (img, path) in enumerate(zip(sampler.images, sampler.paths, strict=True)):
        name = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16] + ".png"
        cached = folder / name
        out = cv2.imread(str(cached), cv2.IMREAD_COLOR) if cached.is_file() else None
        if out is None or out.shape[:2] != img.shape[:2]:
            out = stylizer(np.ascontiguousarray(img[:, :, ::-1]))  # BGR in and out
            tmp = cached.with_suffix(".tmp.png")
            cv2.imwrite(str(tmp), out)
            os.replace(tmp, cached)
            todo += 1
            if log and todo % 50 == 0:
                log(f"teacher: {i + 1}/{len(sampler.images)} photos")
        sampler.images[i] = np.concatenate([img, out[:, :, ::-1]], axis=2)
    if log:
        log(f"teacher pictures: {len(sampler.images)} ({todo} new) in {folder}")
    return folder


def distil_terms(
    y: torch.Tensor,
    target: torch.Tensor,
    y_feat: torch.Tensor,
    target_feat: torch.Tensor,
    pixel_weight: float,
    perceptual_weight: float,
) -> dict[str, torch.Tensor]:
    """The student's copy terms: ``pixel`` (mean absolute difference of the pictures in ``[0, 1]``) and
    ``perceptual`` (relative squared error of VGG features, as the content loss)."""
    return {
        "pixel": pixel_weight * F.l1_loss(y.float(), target.float()),
        "perceptual": perceptual_weight * content_loss(y_feat, target_feat),
    }
