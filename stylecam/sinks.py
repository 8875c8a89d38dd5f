"""Simple sinks: image files and a null sink (benchmarks), and the sink registry.

The video-file sink is in :mod:`stylecam.media`, the window in
:mod:`stylecam.window`, the virtual camera in :mod:`stylecam.virtualcam`.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .errors import OutputError
from .frames import Frame, StreamInfo


def check_output_dir(path: Path) -> None:
    """Raise :class:`OutputError` unless ``path``'s folder exists and is writable."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise OutputError(f"output folder does not exist: {folder}", "create it first, or choose another -o")
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder", "choose another -o")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output folder is not writable: {folder}", "choose a folder you can write to")


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` name the same existing file (or the same resolved path)."""
    try:
        if Path(a).exists() and Path(b).exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return Path(a).resolve() == Path(b).resolve()


class NullSink:
    """Discards frames (for benchmarks); counts them."""

    inline = False

    def __init__(self) -> None:
        self.count = 0

    def open(self, info: StreamInfo) -> None:
        self.count = 0

    def write(self, frame: Frame, image: np.ndarray) -> None:
        self.count += 1

    def close(self) -> None:
        pass

    @property
    def stopped(self) -> bool:
        return False


class ImageSink:
    """Writes each frame as an image file.

    Args:
        target: a file path (for one image) or a folder (for several; files
            are named after the source image's stem, or ``frame_000123``).
        inputs: the input files, which are never overwritten.
        suffix: the image format for folder output (``.png`` or ``.jpg``).
    """

    inline = False

    def __init__(
        self,
        target: str | Path,
        *,
        single: bool,
        inputs: list[Path] | None = None,
        suffix: str = ".png",
        quality: int = 95,
    ) -> None:
        self.target = Path(target)
        self.single = single
        self.inputs = list(inputs or [])
        self.suffix = suffix if suffix.startswith(".") else "." + suffix
        self.quality = quality
        self.written: list[Path] = []
        if single:
            check_output_dir(self.target)
            if self.target.suffix.lower() not in (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"):
                raise OutputError(
                    f"cannot tell the image format of {self.target}", "end -o with .png or .jpg"
                )
        else:
            if self.target.exists() and not self.target.is_dir():
                raise OutputError(
                    f"{self.target} is a file", "give a folder as -o when stylizing several images"
                )
            # an existing folder must itself be writable; a new one needs a writable parent
            check_output_dir(self.target / "_" if self.target.exists() else self.target)
        for src in self.inputs:
            for out in self._planned(src):
                if same_file(out, src):
                    raise OutputError(f"output {out} would overwrite the input", "choose another -o")

    def _planned(self, src: Path) -> list[Path]:
        if self.single:
            return [self.target]
        return [self.target / f"{src.stem}{self.suffix}"]

    def open(self, info: StreamInfo) -> None:
        if not self.single:
            self.target.mkdir(parents=False, exist_ok=True)

    def write(self, frame: Frame, image: np.ndarray) -> None:
        if self.single:
            path = self.target
        else:
            stem = frame.name or f"frame_{frame.index:06d}"
            path = self.target / f"{stem}{self.suffix}"
        ext = path.suffix.lower()
        params = [cv2.IMWRITE_JPEG_QUALITY, self.quality] if ext in (".jpg", ".jpeg") else []
        ok, data = cv2.imencode(ext, image, params)
        if not ok:
            raise OutputError(f"could not encode {path}", "use .png or .jpg")
        tmp = path.with_name(path.name + ".part")
        data.tofile(str(tmp))
        os.replace(tmp, path)
        self.written.append(path)

    def close(self) -> None:
        pass

    @property
    def stopped(self) -> bool:
        return False
