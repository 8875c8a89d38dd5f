"""Image files out: :class:`ImageSink` (one file, or a folder of them named after the inputs)."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import OutputError
from ..formats import (
    FOLDER_IMAGE_FORMATS,
    JPEG_SUFFIXES,
    WRITABLE_IMAGE_SUFFIXES,
    writable_image_suffixes_text,
)
from ..frames import Frame, StreamInfo
from .files import check_output_dir, is_disk_full, same_file

__all__ = ["ImageSink"]


class ImageSink:
    """Writes each frame as an image file.

    Args:
        target: a file path (for one image) or a folder (for several).
        single: ``target`` is the one output file.
        inputs: the input files, which are never overwritten; in a folder their outputs are named
            after them and kept distinct (``photo.png``; ``photo.jpg.png`` and ``photo.webp.png`` when
            several inputs share the stem ``photo``; ``-2``, ``-3``... after that).
        suffix: the image format for folder output (``.png`` or ``.jpg``).
        overwrite: replace existing output files; without it they are refused before any work.

    Each image is written to ``NAME.part`` beside its target and renamed into place once complete, so a
    full disk or an interrupted run never leaves half an image or replaces one with a broken file. A frame
    that cannot be encoded is recorded in :attr:`failed` and the next one follows; a full disk ends the
    run with one line that says so.
    """

    inline = False

    def __init__(
        self,
        target: str | Path,
        *,
        single: bool,
        inputs: list[Path] | None = None,
        suffix: str = FOLDER_IMAGE_FORMATS[0],
        quality: int = 95,
        overwrite: bool = False,
    ) -> None:
        self.target = Path(target)
        self.single = single
        self.inputs = list(inputs or [])
        self.suffix = suffix if suffix.startswith(".") else "." + suffix
        self.quality = quality
        self.overwrite = overwrite
        self.written: list[Path] = []
        self.failed: list[tuple[Path, str]] = []
        if single:
            check_output_dir(self.target)
            if self.target.suffix.lower() not in WRITABLE_IMAGE_SUFFIXES:
                raise OutputError(
                    f"cannot write '{self.target.suffix}' images ({self.target.name})",
                    f"end -o with {writable_image_suffixes_text()}",
                )
        else:
            if self.target.exists() and not self.target.is_dir():
                raise OutputError(
                    f"{self.target} is a file", "give a folder as -o when stylizing several images"
                )
            # an existing folder must itself be writable; a new one needs a writable parent
            check_output_dir(self.target / "_" if self.target.exists() else self.target)
        self._names = self._plan(self.inputs)
        for src, out in self._names.items():
            if same_file(out, src):
                raise OutputError(f"output {out} would overwrite the input", "choose another -o")
        existing = [out for out in self._names.values() if out.exists()]
        if single and not self.inputs and self.target.exists():
            existing = [self.target]
        if existing and not overwrite:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise OutputError(
                f"{existing[0]} already exists{more}", "add -y to replace, or choose another -o"
            )

    def _plan(self, inputs: list[Path]) -> dict[Path, Path]:
        """One distinct output per input."""
        if self.single:
            return {src: self.target for src in inputs[:1]}
        stems: dict[str, int] = {}
        for src in inputs:
            stems[src.stem.lower()] = stems.get(src.stem.lower(), 0) + 1
        names: dict[Path, Path] = {}
        taken: set[str] = set()
        for src in inputs:
            base = src.stem if stems[src.stem.lower()] == 1 else src.name
            name, n = base, 1
            while name.lower() in taken:
                n += 1
                name = f"{base}-{n}"
            taken.add(name.lower())
            names[src] = self.target / f"{name}{self.suffix}"
        return names

    def open(self, info: StreamInfo) -> None:
        if not self.single:
            self.target.mkdir(parents=False, exist_ok=True)

    def _path_for(self, frame: Frame) -> Path:
        if self.single:
            return self.target
        src = frame.extra.get("path")
        if src is not None and Path(src) in self._names:
            return self._names[Path(src)]
        stem = frame.name or f"frame_{frame.index:06d}"
        return self.target / f"{stem}{self.suffix}"

    def write(self, frame: Frame, image: np.ndarray) -> None:
        path = self._path_for(frame)
        ext = path.suffix.lower()
        params = [cv2.IMWRITE_JPEG_QUALITY, self.quality] if ext in JPEG_SUFFIXES else []
        ok, data = cv2.imencode(ext, image, params)
        if not ok:
            if self.single:
                raise OutputError(f"could not encode {path}", "use .png or .jpg")
            self.failed.append((Path(frame.extra.get("path", path)), f"could not encode {path.name}"))
            return
        tmp = path.with_name(path.name + ".part")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data.tobytes())
            if self.overwrite:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # never replaces a file that appeared meanwhile
                tmp.unlink()
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if is_disk_full(exc):
                done = f"the {len(self.written)} image(s) done are in {path.parent}" if self.written else ""
                raise OutputError(
                    f"disk full: no space left to write {path.name} in {path.parent.resolve()}",
                    "free some space" + (f"; {done}" if done else ""),
                ) from None
            if isinstance(exc, FileExistsError):
                raise OutputError(
                    f"{path} appeared while stylecam was writing", "add -y to replace"
                ) from None
            raise OutputError(f"cannot write {path} ({exc.strerror})", "check the folder") from None
        self.written.append(path)

    def close(self) -> None:
        pass

    @property
    def stopped(self) -> bool:
        return False
