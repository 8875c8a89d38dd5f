"""Output files written safely: folder checks, temporary names beside the target, moves that never
replace a file that appeared meanwhile, and one line for a failed write (a full disk named as such)."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from ..errors import OutputError

__all__ = [
    "check_output_dir",
    "free_name",
    "io_error",
    "is_disk_full",
    "move_file",
    "remove_file",
    "same_file",
    "trim_to_whole_fragments",
]


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


def free_name(path: Path, tag: str) -> Path:
    """``NAME.TAG.SUFFIX`` beside ``path`` (``NAME.TAG2.SUFFIX``, ... when taken)."""
    for n in range(1, 1000):
        candidate = path.with_name(f"{path.stem}.{tag}{n if n > 1 else ''}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise OutputError(f"too many {tag} files beside {path}", hint="remove them")


def move_file(src: Path, dst: Path, overwrite: bool) -> None:
    """Rename ``src`` to ``dst``; without ``overwrite`` never replace a ``dst`` that exists (also one that
    appeared while the run went on)."""
    if overwrite:
        os.replace(src, dst)
        return
    try:
        os.link(src, dst)  # fails if dst exists: no race between a check and the rename
    except FileExistsError:
        raise OutputError(
            f"{dst} appeared while stylecam was writing", hint=f"the frames are in {src}"
        ) from None
    except OSError:  # a file system without hard links
        if dst.exists():
            raise OutputError(
                f"{dst} appeared while stylecam was writing", hint=f"the frames are in {src}"
            ) from None
        os.replace(src, dst)
        return
    src.unlink()


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the quota, or the file size limit) is full."""
    code = getattr(exc, "errno", None)
    return code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "No space left" in str(exc)


def io_error(path: Path, exc: BaseException, doing: str = "cannot write") -> OutputError:
    """One line for a failed write: a full disk named as such, with the folder."""
    folder = path.parent.resolve()
    if is_disk_full(exc):
        return OutputError(f"disk full: no space left to write {path.name} in {folder}", "free some space")
    reason = getattr(exc, "strerror", None) or str(exc)
    return OutputError(f"{doing} {path}: {reason}", hint="check the folder and its free space")


def trim_to_whole_fragments(path: Path) -> bool:
    """Cut a fragmented MP4 after its last complete fragment (``moof`` + ``mdat``); ``False`` if it has
    no index (``moov``) or no complete fragment."""
    try:
        size = path.stat().st_size
        good = 0
        pos = 0
        have_moov = in_fragment = False
        fragments = 0
        with path.open("rb") as fh:
            while pos + 8 <= size:
                fh.seek(pos)
                head = fh.read(16)
                n, kind = int.from_bytes(head[:4], "big"), head[4:8]
                if n == 1 and len(head) == 16:
                    n = int.from_bytes(head[8:16], "big")
                elif n == 0:
                    n = size - pos
                if n < 8 or pos + n > size:
                    break
                pos += n
                if kind == b"moov":
                    have_moov, good = True, pos
                elif kind == b"moof":
                    in_fragment = True
                elif kind == b"mdat" and in_fragment:
                    in_fragment, good = False, pos
                    fragments += 1
                elif not in_fragment:
                    good = pos
        if not have_moov or not fragments:
            return False
        if good < size:
            os.truncate(path, good)
        return True
    except OSError:
        return False


def remove_file(path: Path) -> None:
    """Remove ``path`` if it is there; errors are ignored."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
