"""Which inputs a batch stylizes, and the output each one gets.

INPUTS are files, folders (walked recursively) and glob patterns (``clips/**/*.mov``). An output
mirrors its input below OUTDIR: a file given by name lands at ``OUTDIR/NAME.mp4``, a file found in a
folder or by a pattern keeps its path relative to that folder (or to the pattern's fixed part), so
sub-folders are kept. Videos become ``.mp4``; images keep a writable suffix (``.png`` otherwise).
Two inputs that would get one output name are told apart by their old suffix (``a-mov.mp4``,
``a-mkv.mp4``), then by a number; the same file named twice runs once.

Example:
    >>> jobs, skipped = plan_jobs(["clips/"], "styled")  # doctest: +SKIP
    >>> jobs[0].input, jobs[0].output  # doctest: +SKIP
    (PosixPath('clips/day1/a.mov'), PosixPath('styled/day1/a.mp4'))
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..formats import IMAGE_SUFFIXES, VIDEO_SUFFIXES, WRITABLE_IMAGE_SUFFIXES

#: the folder inside OUTDIR that holds the manifest and the work in progress
STATE_DIR = ".stylecam-batch"


@dataclass(frozen=True)
class Job:
    """One input and where its output goes.

    Attributes:
        input: the input file.
        output: the output file (below OUTDIR).
        kind: ``'video'`` or ``'image'``.
        key: the output's path relative to OUTDIR, as text (the manifest's key).
    """

    input: Path
    output: Path
    kind: str
    key: str

    @property
    def temp(self) -> Path:
        """The name the output is written under until it is complete (hidden, beside the output)."""
        return self.output.with_name(f".{self.output.stem}.batch-part{self.output.suffix}")

    @property
    def ident(self) -> str:
        """A short stable name for the job (work folders, task names)."""
        return hashlib.sha1(self.key.encode()).hexdigest()[:12]


def kind_of(path: Path) -> str | None:
    """``'video'``, ``'image'`` or ``None`` by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return None


def _output_suffix(path: Path, kind: str) -> str:
    if kind == "video":
        return ".mp4"
    suffix = path.suffix.lower()
    return suffix if suffix in WRITABLE_IMAGE_SUFFIXES else ".png"


def _expand(item: str, outdir: Path) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """``(file, path relative to the output folder)`` for one INPUT, and the files passed over."""
    path = Path(item).expanduser()
    if path.is_file():
        return [(path, Path(path.name))], []
    if path.is_dir():
        base, found = path, sorted(p for p in path.rglob("*") if p.is_file())
    elif glob.has_magic(item):
        fixed = []
        for part in Path(item).parts:
            if glob.has_magic(part):
                break
            fixed.append(part)
        base = Path(*fixed) if fixed else Path(".")
        found = sorted(Path(p) for p in glob.glob(os.path.expanduser(item), recursive=True))
        found = [p for p in found if p.is_file()]
        if not found:
            raise InputError(f"no file matches {item}", "check the pattern (quote it so the shell keeps it)")
    else:
        raise InputError(f"input not found: {item}", "give video or image files, folders or patterns")
    out_real = outdir.resolve()
    taken, passed = [], []
    for p in found:
        if out_real in p.resolve().parents or any(part.startswith(".") for part in p.relative_to(base).parts):
            continue  # the output folder inside an input folder, hidden files and folders
        (taken if kind_of(p) else passed).append(p)
    return [(p, p.relative_to(base)) for p in taken], passed


def plan_jobs(
    inputs: Sequence[str | os.PathLike[str]], outdir: str | os.PathLike[str]
) -> tuple[list[Job], list[Path]]:
    """The jobs for INPUTS with their outputs below ``outdir``, and the files a folder held that are not
    videos or images.

    Raises:
        InputError: an input that does not exist, a pattern that matches nothing, no input at all, or
            an output folder that is a file.
    """
    out = Path(outdir).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"-o {out} is a file", "give a folder for the outputs (it is made if missing)")
    seen: set[Path] = set()
    wanted: list[tuple[Path, Path, str]] = []
    passed: list[Path] = []
    for item in inputs:
        files, others = _expand(os.fspath(item), out)
        passed += others
        for path, rel in files:
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            kind = kind_of(path) or "video"  # a file named on its own: probe tells
            wanted.append((path, rel, kind))
    if not wanted:
        raise InputError(
            "no video or image among the inputs", "give video or image files, folders or patterns"
        )
    names = [rel.with_suffix(_output_suffix(path, kind)) for path, rel, kind in wanted]
    counts: dict[str, int] = {}
    for n in names:
        counts[n.as_posix().lower()] = counts.get(n.as_posix().lower(), 0) + 1
    used: set[str] = set()
    jobs = []
    for (path, rel, kind), name in zip(wanted, names, strict=True):
        if counts[name.as_posix().lower()] > 1 and path.suffix:
            name = name.with_name(f"{rel.stem}-{path.suffix.lower().lstrip('.')}{name.suffix}")
        candidate, n = name, 2
        while candidate.as_posix().lower() in used:
            candidate = name.with_name(f"{name.stem}-{n}{name.suffix}")
            n += 1
        used.add(candidate.as_posix().lower())
        jobs.append(Job(input=path, output=out / candidate, kind=kind, key=candidate.as_posix()))
    return jobs, passed
