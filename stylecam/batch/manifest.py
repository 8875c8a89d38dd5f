"""What a batch has finished, so that a re-run skips it: ``OUTDIR/.stylecam-batch/manifest.json``.

An entry is written by the driver alone, after the output was verified and moved into place. It
records what the output was made from (the input's size and modification time, the options that
change the pictures) and what it holds (frames, seconds, sound). A re-run skips an output only when
its entry matches the input and options and the file itself still holds what the entry says (probed
again: frame count, duration, sound; an image: its size) — not merely because a file is there. An
output of its own that is no longer complete is made again; any other file there is replaced only
with ``-y``.

Example:
    >>> m = Manifest.load(Path("styled"))  # doctest: +SKIP
    >>> m.state(job, options_key)  # doctest: +SKIP
    'finished'
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import StylecamError
from .plan import STATE_DIR, Job

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Made:
    """What one output holds, as measured on the file."""

    frames: int
    seconds: float
    audio: bool
    width: int
    height: int


def measure(path: Path, kind: str) -> Made:
    """Probe an output file.

    Raises:
        StylecamError: the file cannot be read as a video (or image).
    """
    if kind == "image":
        import cv2

        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise StylecamError(f"{path} is not a readable image")
        return Made(frames=1, seconds=0.0, audio=False, width=image.shape[1], height=image.shape[0])
    from ..sources import probe

    pr = probe(path)
    return Made(
        frames=pr.frame_count, seconds=pr.duration, audio=pr.has_audio, width=pr.width, height=pr.height
    )


def input_stamp(path: Path) -> dict[str, int]:
    """The input's size and modification time: a changed input is made again."""
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def holds(made: Made, expected: Made) -> bool:
    """Whether a measured output holds what was expected: every frame, the duration within a frame, the
    sound, the size."""
    if made.frames != expected.frames or made.audio != expected.audio:
        return False
    if (made.width, made.height) != (expected.width, expected.height):
        return False
    tolerance = expected.seconds / max(1, expected.frames) + 1e-3
    return abs(made.seconds - expected.seconds) <= tolerance


class Manifest:
    """The finished outputs of a batch; saved atomically after each change."""

    def __init__(self, outdir: Path, entries: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = outdir / STATE_DIR / MANIFEST
        self.entries: dict[str, dict[str, Any]] = entries or {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, outdir: Path) -> Manifest:
        path = outdir / STATE_DIR / MANIFEST
        try:
            data = json.loads(path.read_text())
            entries = data.get("outputs", {}) if isinstance(data, dict) else {}
        except (OSError, ValueError):
            entries = {}  # none yet, or unreadable: everything is checked as new
        return cls(outdir, entries)

    def state(self, job: Job, options_key: str) -> str:
        """``'finished'``: the output is there, made from this input with these options, and still
        complete; ``'redo'``: this batch made it from this input with these options but it is gone or
        no longer complete (made again without ``-y``); ``'unknown'``: not this batch's with these
        options (an output there is only replaced with ``-y``)."""
        entry = self.entries.get(job.key)
        if not entry or entry.get("options") != options_key or entry.get("input") != str(job.input.resolve()):
            return "unknown"
        try:
            if entry.get("input_stamp") != input_stamp(job.input):
                return "unknown"
            if job.output.is_file() and holds(measure(job.output, job.kind), Made(**entry["made"])):
                return "finished"
        except (OSError, StylecamError, KeyError, TypeError):
            pass
        return "redo"

    def record(self, job: Job, options_key: str, made: Made) -> None:
        """Note a finished output and save the manifest (a temporary file renamed over the old one)."""
        with self._lock:
            self.entries[job.key] = {
                "input": str(job.input.resolve()),
                "input_stamp": input_stamp(job.input),
                "options": options_key,
                "made": asdict(made),
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{MANIFEST}.{os.getpid()}")
            tmp.write_text(json.dumps({"version": 1, "outputs": self.entries}, indent=1, sort_keys=True))
            os.replace(tmp, self.path)
