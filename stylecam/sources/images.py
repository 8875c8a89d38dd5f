"""Still-image sources: one or more image files, or a folder of them.

Video files are :mod:`stylecam.sources.video`, cameras :mod:`stylecam.camera`; which suffixes count
as images is :mod:`stylecam.formats`' business.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..formats import IMAGE_SUFFIXES
from ..frames import Frame, StreamInfo

__all__ = ["ImageSource", "list_images", "read_image"]


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file as ``uint8`` BGR (alpha dropped, 16-bit scaled, grey expanded).

    Raises:
        InputError: missing, unreadable or not an image.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"file not found: {path}", "check the path")
    if path.is_dir():
        raise InputError(
            f"{path} is a folder", "give image files, or the folder to 'stylecam image DIR -o OUTDIR'"
        )
    data = np.fromfile(str(path), dtype=np.uint8)  # works with non-ASCII paths on Windows too
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise InputError(f"{path} is not an image OpenCV can read", "use a JPEG, PNG, BMP, WebP or TIFF file")
    if img.dtype == np.uint16:
        img = (img / 257).astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img * (255.0 if img.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(img)


def list_images(folder: Path) -> list[Path]:
    """Image files in ``folder`` (not recursive), sorted by name."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _not_images(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in IMAGE_SUFFIXES
    )


class ImageSource:
    """A sequence of still images (files and/or folders), each one frame.

    Frames may differ in size; ``Frame.name`` carries the file stem and ``Frame.extra["path"]`` the file,
    so an image sink can name its outputs. A file named on its own that is not an image is an error
    before any work starts; in a folder, files without an image suffix are listed in :attr:`not_images`
    (:meth:`not_images_line` says so in one line), and an image that cannot be read is skipped with a line
    through ``on_skip``, recorded in :attr:`failed`, and the next one follows.

    Args:
        paths: image files and folders.
        on_skip: called with one line for each image skipped because it cannot be read.
    """

    live = False

    def __init__(self, paths: Sequence[str | Path], on_skip: Callable[[str], None] | None = None) -> None:
        files: list[Path] = []
        self.folders: list[Path] = []
        self.not_images: list[Path] = []
        self.failed: list[tuple[Path, str]] = []
        self._on_skip = on_skip
        for p in map(Path, paths):
            if p.is_dir():
                found = list_images(p)
                self.folders.append(p)
                self.not_images += _not_images(p)
                if not found:
                    raise InputError(
                        f"no images in folder {p}", f"put {', '.join(sorted(IMAGE_SUFFIXES)[:5])} files there"
                    )
                files += found
            elif not p.exists():
                raise InputError(f"file not found: {p}", "check the path")
            elif p.is_file() and p.stat().st_size and not cv2.haveImageReader(str(p)):
                raise InputError(
                    f"{p} is not an image OpenCV can read", "use a JPEG, PNG, BMP, WebP or TIFF file"
                )
            else:
                files.append(p)
        if not files:
            raise InputError("no input images given", "name one or more image files or a folder")
        self.files = files
        self._next = 0
        self._first: np.ndarray | None = None

    def not_images_line(self) -> str | None:
        """One line naming the files of the folders that were passed over as not images, if any."""
        if not self.not_images:
            return None
        names = ", ".join(p.name for p in self.not_images[:5])
        more = f" and {len(self.not_images) - 5} more" if len(self.not_images) > 5 else ""
        return f"skipped {len(self.not_images)} file(s) that are not images: {names}{more}"

    def _read_next(self) -> tuple[int, np.ndarray] | None:
        """The next readable image; unreadable ones are skipped (one at a time when there is only one)."""
        while self._next < len(self.files):
            i = self._next
            self._next += 1
            try:
                return i, read_image(self.files[i])
            except InputError as exc:
                if len(self.files) == 1:
                    raise
                self.failed.append((self.files[i], exc.message))
                if self._on_skip is not None:
                    self._on_skip(f"skipped {exc.message}")
        return None

    def open(self) -> StreamInfo:
        first = self._read_next()
        if first is None:
            raise InputError(
                f"none of the {len(self.files)} images could be read",
                "use JPEG, PNG, BMP, WebP or TIFF files",
            )
        self._first_index, self._first = first
        h, w = self._first.shape[:2]
        return StreamInfo(width=w, height=h, fps=0.0, frame_count=len(self.files), source=str(self.files[0]))

    def read(self) -> Frame | None:
        if self._first is not None:
            i, img = self._first_index, self._first
            self._first = None
        else:
            item = self._read_next()
            if item is None:
                return None
            i, img = item
        return Frame(
            index=i,
            image=img,
            time=time.perf_counter(),
            name=self.files[i].stem,
            extra={"path": str(self.files[i])},
        )

    def close(self) -> None:
        self._first = None
