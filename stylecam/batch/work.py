"""What a batch worker runs: a whole video or image through the library API, or one chunk of a video
through the pipeline. These functions run in local worker processes and in Ray tasks alike, so they
take plain values and return a plain :class:`Outcome`; they never raise for a bad input (the reason is
in the outcome) and never import torch.

Models travel as a :class:`ModelBundle` (the file's bytes, with its precision variants), so a worker
needs no file system shared with the driver.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..api import ImageOptions, VideoOptions
from ..errors import StylecamError


@dataclass
class Outcome:
    """What one piece of work did.

    Attributes:
        ok: it succeeded.
        why: why not, in one line.
        frames: frames (or images) written.
        seconds: how long the work took on the worker.
        data: the file written, for a worker that does not share the driver's files.
        device: where the network ran.
        pid: the worker process (tests kill one).
        interrupted: Ctrl-C, SIGTERM or SIGHUP stopped it (the batch stops too).
    """

    ok: bool
    why: str = ""
    frames: int = 0
    seconds: float = 0.0
    data: bytes | None = field(default=None, repr=False)
    device: str = ""
    pid: int = field(default_factory=os.getpid)
    interrupted: bool = False


def failed_outcome(exc: BaseException) -> Outcome:
    """The outcome of work that raised: a stylecam error's line, or the exception's type and text."""
    if isinstance(exc, StylecamError):
        return Outcome(ok=False, why=exc.one_line())
    text = " ".join(str(exc).split())[:300]
    return Outcome(ok=False, why=f"{type(exc).__name__}: {text}")


@dataclass(frozen=True)
class ModelBundle:
    """A style network as bytes, with its precision variants, to install where a worker runs.

    Attributes:
        style: what the worker passes as the style once installed (a style name for a style of a
            multi-style network or a blend; otherwise the file's name).
        files: file name → bytes (``udnie.onnx``, ``udnie.int8.onnx``, ...).
        by_name: ``style`` is a name looked up in the installed folder (``STYLECAM_MODELS``).
    """

    style: str
    files: dict[str, bytes] = field(repr=False)
    by_name: bool = False

    @classmethod
    def of(cls, style: str | None) -> ModelBundle:
        """The bundle for a ``--style`` value (``None``: the default style).

        Raises:
            ModelError: an unknown style.
        """
        from ..models import find_model

        info = find_model(style)
        paths = [info.path, *info.variants.values()]
        files = {p.name: p.read_bytes() for p in paths}
        if info.style_weights is not None and style is not None:
            return cls(style=os.fspath(style), files=files, by_name=True)
        return cls(style=info.path.name, files=files)

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode())
            h.update(self.files[name])
        return h.hexdigest()[:16]

    def install(self) -> str:
        """Write the files into this machine's temporary folder (once per bundle) and return the style
        to pass to the library."""
        folder = Path(tempfile.gettempdir()) / f"stylecam-models-{self.digest}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            target = folder / name
            if target.is_file() and target.stat().st_size == len(data):
                continue
            tmp = folder / f".{name}.{os.getpid()}"
            tmp.write_bytes(data)
            os.replace(tmp, target)
        if self.by_name:
            dirs = os.environ.get("STYLECAM_MODELS", "")
            if str(folder) not in dirs.split(os.pathsep):
                os.environ["STYLECAM_MODELS"] = os.pathsep.join(p for p in (str(folder), dirs) if p)
            return self.style
        return str(folder / self.style)


def image_options(options: VideoOptions) -> ImageOptions:
    """The image options a batch's video options imply."""
    shared = {f.name for f in dataclasses.fields(ImageOptions)}
    return ImageOptions(**{k: v for k, v in dataclasses.asdict(options).items() if k in shared})


Report = Callable[[int], None]


def stylize_file(
    src: Path, dst: Path, kind: str, options: VideoOptions, report: Report | None = None
) -> Outcome:
    """Stylize one whole video (or image) with the library API into ``dst`` (replaced if there);
    ``report`` gets the frames done so far, about twice a second (see :mod:`stylecam.batch.progress`)."""
    from ..api import stylize_image, stylize_video
    from .progress import reporting

    start = time.perf_counter()
    try:
        if kind == "image":
            result = stylize_image(
                src,
                dst,
                options=dataclasses.replace(image_options(options), overwrite=True),
            )
            if result.failed:
                return Outcome(ok=False, why=result.failed[0][1])
        else:
            result = stylize_video(
                src, dst, options=dataclasses.replace(options, overwrite=True), progress=reporting(report)
            )
            if result.interrupted:
                return Outcome(ok=False, why="interrupted", interrupted=True)
    except Exception as exc:  # one bad input never stops the others: its reason goes back
        return failed_outcome(exc)
    return Outcome(
        ok=True,
        frames=result.frames,
        seconds=time.perf_counter() - start,
        device=result.device,
    )


def stylize_shipped(
    bundle: ModelBundle,
    data: bytes,
    suffixes: tuple[str, str],
    kind: str,
    options: VideoOptions,
    report: Report | None = None,
) -> Outcome:
    """A whole input shipped as bytes (``suffixes``: the input's and the output's): stylized in a
    temporary folder, the output's bytes returned (``report``: as :func:`stylize_file`'s)."""
    try:
        style = bundle.install()
    except OSError as exc:
        return failed_outcome(exc)
    with tempfile.TemporaryDirectory(prefix="stylecam-batch-") as tmp:
        src = Path(tmp) / f"input{suffixes[0]}"
        src.write_bytes(data)
        dst = Path(tmp) / f"output{suffixes[1]}"
        outcome = stylize_file(src, dst, kind, dataclasses.replace(options, style=style), report)
        if outcome.ok:
            outcome.data = dst.read_bytes()
        return outcome


def attempt_name(path: Path) -> Path:
    """A name of this attempt's own beside ``path`` (a task Ray runs again never shares a file with the
    attempt it replaces); renamed to ``path`` once complete."""
    return path.with_name(f"{path.stem}.{uuid.uuid4().hex[:8]}{path.suffix}")


def stylize_in_place(
    bundle: ModelBundle,
    src: str,
    dst: str,
    kind: str,
    options: VideoOptions,
    report: Report | None = None,
) -> Outcome:
    """A whole input read from a path every node sees, written to ``dst`` there (under an attempt's own
    name first; ``report``: as :func:`stylize_file`'s)."""
    try:
        style = bundle.install()
    except OSError as exc:
        return failed_outcome(exc)
    target = Path(dst)
    attempt = attempt_name(target)
    outcome = stylize_file(Path(src), attempt, kind, dataclasses.replace(options, style=style), report)
    try:
        if outcome.ok:
            os.replace(attempt, target)
        else:
            attempt.unlink(missing_ok=True)
    except OSError as exc:
        return failed_outcome(exc)
    return outcome
