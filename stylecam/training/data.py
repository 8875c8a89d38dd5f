"""Content photos and the style painting, as float RGB ``[0, 1]`` tensors."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import cv2
import numpy as np
import torch

from ..errors import InputError
from ..formats import TRAINING_IMAGE_SUFFIXES


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as uint8 RGB ``(H, W, 3)``.

    Raises:
        InputError: the file is missing or not an image.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"image not found: {path}", "check the path")
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise InputError(f"cannot decode image {path}", "use a JPEG or PNG file")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def to_tensor(img: np.ndarray) -> torch.Tensor:
    """uint8 RGB ``(H, W, 3)`` -> float ``(1, 3, H, W)`` in ``[0, 1]``."""
    return torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).unsqueeze(0).float() / 255.0


def to_image(t: torch.Tensor) -> np.ndarray:
    """float ``(3, H, W)`` or ``(1, 3, H, W)`` in ``[0, 1]`` -> uint8 RGB ``(H, W, 3)``."""
    if t.dim() == 4:
        t = t[0]
    return (t.detach().float().clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()


def load_style(path: str | os.PathLike, size: int) -> torch.Tensor:
    """The painting resized so that its longer side is ``size`` pixels, as ``(1, 3, H, W)``."""
    img = read_rgb(path)
    h, w = img.shape[:2]
    scale = size / max(h, w)
    img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return to_tensor(img)


def list_images(folder: str | os.PathLike, exclude: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """Image files under ``folder`` (recursive, sorted), minus names matching any ``exclude`` glob.

    Raises:
        InputError: the folder is missing or holds no images.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"content folder not found: {folder}", "give a folder of photos with --content")
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in TRAINING_IMAGE_SUFFIXES
        and not any(fnmatch.fnmatch(p.name, pat) for pat in exclude)
    )
    if not files:
        raise InputError(f"no images in {folder}", "put JPEG or PNG photos in the --content folder")
    return files


class ContentSampler:
    """Random square crops of the content photos, held in memory at a modest size.

    Each crop covers a random part (at least ``size`` pixels, up to the whole shorter side) of a photo
    whose shorter side was resized to ``1.5 * size`` at most, is resized to ``size x size`` and
    randomly mirrored.

    Args:
        files: the photos.
        size: crop size in pixels.
        rng: the random generator (its state is saved in checkpoints).
    """

    def __init__(self, files: list[Path], size: int, rng: np.random.Generator) -> None:
        self.size = size
        self.rng = rng
        self.images: list[np.ndarray] = []
        #: the file of each image (unreadable files are skipped)
        self.paths: list[Path] = []
        limit = int(size * 1.5)
        for path in files:
            try:
                img = read_rgb(path)
            except InputError:
                continue
            h, w = img.shape[:2]
            if min(h, w) > limit:
                s = limit / min(h, w)
                img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
            self.images.append(img)
            self.paths.append(Path(path))
        if not self.images:
            raise InputError("none of the content images could be read", "check the --content folder")

    def batch(self, n: int) -> torch.Tensor:
        """``n`` random crops as a float ``(n, C, size, size)`` batch in ``[0, 1]`` (``C`` is 3, or 6 when
        each image carries its teacher's picture beside it, see :mod:`.distil`)."""
        crops = []
        for _ in range(n):
            img = self.images[self.rng.integers(len(self.images))]
            h, w = img.shape[:2]
            short = min(h, w)
            side = int(self.rng.integers(min(self.size, short), short + 1))
            y = int(self.rng.integers(0, h - side + 1))
            x = int(self.rng.integers(0, w - side + 1))
            crop = img[y : y + side, x : x + side]
            if side != self.size:
                interp = cv2.INTER_AREA if side > self.size else cv2.INTER_LINEAR
                crop = np.concatenate(  # OpenCV resizes at most 4 channels at a time
                    [
                        cv2.resize(crop[:, :, i : i + 3], (self.size, self.size), interpolation=interp)
                        for i in range(0, crop.shape[2], 3)
                    ],
                    axis=2,
                )
            if self.rng.random() < 0.5:
                crop = crop[:, ::-1]
            crops.append(np.ascontiguousarray(crop))
        arr = np.stack(crops)
        return torch.from_numpy(arr).permute(0, 3, 1, 2).float() / 255.0


#: a painting must have at least this many pixels on its shorter side
MIN_PAINTING_SIDE = 256


#: EXIF makes of phones: a picture taken with one is a photo, not a reproduction of a painting (museums
#: photograph paintings too, with studio cameras such as a Sinar or a Phase One, so a camera alone says
#: nothing)
PHONE_MAKES = (
    "apple",
    "samsung",
    "google",
    "huawei",
    "xiaomi",
    "oneplus",
    "motorola",
    "oppo",
    "vivo",
    "nokia",
)


def check_painting(path: str | os.PathLike, photos: list[Path] | None = None) -> None:
    """Refuse what cannot teach a style: a missing or unreadable file, a painting smaller than
    :data:`MIN_PAINTING_SIDE` on its shorter side, a grey-scale picture, or a photo: one of the training
    ``photos``, or a picture whose EXIF data says a phone took it or where (GPS).

    Raises:
        InputError: naming the problem and what to give instead.
    """
    path = Path(path)
    img = read_rgb(path)
    h, w = img.shape[:2]
    if min(h, w) < MIN_PAINTING_SIDE:
        raise InputError(
            f"the painting {path.name} is only {w}x{h}",
            f"give a picture of at least {MIN_PAINTING_SIDE} pixels on its shorter side (its brush strokes "
            "must be visible)",
        )
    small = cv2.resize(img, (64, 64), interpolation=cv2.INTER_AREA).astype(np.int16)
    spread = np.abs(small - small.mean(axis=2, keepdims=True)).mean()
    if spread < 2.0:
        raise InputError(
            f"the painting {path.name} is grey-scale",
            "a style takes its colours from the painting: give a colour picture",
        )
    exif = exif_tags(path)
    make = exif.get(0x010F, "")
    if 0x8825 in exif or any(make.lower().startswith(m) for m in PHONE_MAKES):
        taken = f"taken with {make} {exif.get(0x0110, '')}".strip() if make else "with a GPS position"
        raise InputError(
            f"{path.name} is a photo ({taken}), not a painting",
            "give a picture of a painting (a scan or a museum's reproduction)",
        )
    if photos:
        size = path.stat().st_size
        same = [p for p in photos if p.stat().st_size == size and p.read_bytes() == path.read_bytes()]
        if same:
            raise InputError(
                f"{path.name} is one of the training photos ({same[0]})", "give a painting with --style"
            )


def exif_tags(path: str | os.PathLike) -> dict[int, str]:
    """The first EXIF directory of a JPEG: tag -> text for ASCII tags, '' for the others (GPS 0x8825...)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return {}
    start = head.find(b"Exif\x00\x00")
    if not head.startswith(b"\xff\xd8") or start < 0:
        return {}
    tiff = head[start + 6 :]
    order = {b"II": "little", b"MM": "big"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return {}

    def num(at: int, size: int) -> int:
        return int.from_bytes(tiff[at : at + size], order)  # type: ignore[arg-type]

    found: dict[int, str] = {}
    ifd = num(4, 4)
    count = num(ifd, 2) if ifd + 2 <= len(tiff) else 0
    for i in range(min(count, 256)):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(tiff):
            break
        tag, kind, n = num(entry, 2), num(entry + 2, 2), num(entry + 4, 4)
        text = ""
        if kind == 2:  # ASCII
            at = entry + 8 if n <= 4 else num(entry + 8, 4)
            text = tiff[at : at + n].split(b"\x00")[0].decode("ascii", "replace").strip()
        found[tag] = text
    return found
