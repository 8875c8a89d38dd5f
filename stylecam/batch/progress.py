"""One progress display for a whole batch: frames done of all the frames to do (probed up front; an
image is one), their rate, the time left, and the files done, skipped and failed.

The workers report their frames as they go, about twice a second each (the pipeline's progress
callback): local workers put ``(part, frames)`` on a :class:`multiprocessing.Manager` queue, Ray tasks
call a :class:`ProgressBoard` actor without waiting (the pattern of Ray's own getting-started
walkthrough). A part is a whole job or one chunk of a video; a report is the part's count so far, so
a part that runs again (a worker that died, Ray's retry) just starts counting again. The driver alone
draws: on a terminal one status line rewritten in place (:class:`~stylecam.status.Progress`, as
``stylecam video`` shows), elsewhere a plain line every :data:`PLAIN_EVERY` seconds and one at the end.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Callable
from typing import Any

from ..status import Progress

#: seconds between the plain progress lines written where stderr is not a terminal
PLAIN_EVERY = 10.0

#: a part of a job: its ident, and the chunk's index (``None``: the whole job)
Part = tuple[str, "int | None"]


class BatchProgress:
    """The driver's count of a batch's frames and files, shown on stderr.

    Args:
        enabled: show it (``False``: count only).
        every: seconds between plain lines (``None``: rewritten in place on a terminal, else plain
            lines every :data:`PLAIN_EVERY` seconds).
    """

    def __init__(self, enabled: bool = True, every: float | None = None) -> None:
        tty = sys.stderr.isatty() and every is None
        width = min(150, shutil.get_terminal_size().columns - 1) if tty else 150
        plain = None if tty else (PLAIN_EVERY if every is None else every)
        self.bar = Progress("batch", None, enabled, width=width, every=plain)
        self.enabled = enabled
        self.files = self.files_done = self.skipped = self.failed = 0
        self.total = self.finished = 0
        self.reports = 0  # the workers' reports taken
        self.parts: dict[Part, int] = {}
        self._planned: dict[str, int] = {}
        self._began: float | None = None

    def begin(self, files: int, planned: dict[str, int], skipped: int, failed: int) -> None:
        """Start counting: ``files`` in the batch, ``planned`` frames of each job to run (by ident), the
        files ``skipped`` (finished before) and ``failed`` already."""
        self.files, self.skipped, self.failed = files, skipped, failed
        self._planned = dict(planned)
        self.total = sum(planned.values())
        self.bar.total = self.total
        self._began = time.perf_counter()

    @property
    def done(self) -> int:
        """Frames done: of the finished jobs, and so far of the running ones."""
        running: dict[str, int] = {}
        for (ident, _), frames in self.parts.items():
            running[ident] = running.get(ident, 0) + frames
        return self.finished + sum(min(n, self._planned.get(i, n)) for i, n in running.items())

    def frames(self, part: Part, frames: int, reported: bool = True) -> None:
        """A count so far for one part of a job (``reported``: by its worker, as it goes)."""
        self.parts[part] = frames
        self.reports += reported
        self.show()

    def forget(self, ident: str) -> None:
        """A job runs again from its start: its parts' counts so far are gone."""
        for part in [p for p in self.parts if p[0] == ident]:
            del self.parts[part]

    def result(self, ident: str, ok: bool, frames: int) -> None:
        """A job ended: its ``frames`` are done, or (failed) they leave the total."""
        self.forget(ident)
        planned = self._planned.pop(ident, 0)
        if ok:
            self.files_done += 1
            self.finished += frames
            self.total += frames - planned
        else:
            self.failed += 1
            self.total -= planned
        self.bar.total = self.total
        self.show()

    def text(self) -> str:
        """The files' part of the display: done of all, and those skipped or failed if any."""
        words = [f"files {self.files_done}/{self.files} done"]
        words += [f"{n} {what}" for n, what in ((self.skipped, "skipped"), (self.failed, "failed")) if n]
        return ", ".join(words)

    def show(self, force: bool = False) -> None:
        if not self.enabled or self._began is None:
            return
        done = self.done
        seconds = time.perf_counter() - self._began
        fps = done / seconds if seconds > 0 else 0.0
        self.bar.update(done, fps, self.text(), force)

    def say(self, log: Callable[[str], None], line: str) -> None:
        """Write a log line (a file done, a chunk that failed) without breaking the status line."""
        self.bar.clear()
        log(line)
        self.bar.redraw()

    def close(self, complete: bool = True) -> None:
        """End the display (``complete``: the run ended, so its last state is shown, also as a plain
        line)."""
        if complete and self._began is not None:
            self.show(force=True)
        self.bar.finish()


# --------------------------------------------------------------------------- the workers' side


class QueueReport:
    """A local worker's report of one part's frames, put on the driver's Manager queue (picklable)."""

    def __init__(self, queue: Any, part: Part) -> None:
        self.queue = queue
        self.part = part

    def __call__(self, frames: int) -> None:
        with contextlib.suppress(Exception):  # the display never stops the work
            self.queue.put((self.part, frames))


class ProgressBoard:
    """The Ray actor the tasks report to (``report``, not waited for) and the driver reads (``take``)."""

    def __init__(self) -> None:
        self.counts: dict[Part, int] = {}

    def report(self, part: Part, frames: int) -> None:
        self.counts[part] = frames

    def take(self) -> dict[Part, int]:
        """The counts reported since the last ``take``."""
        counts, self.counts = self.counts, {}
        return counts


class BoardReport:
    """A Ray task's report of one part's frames to the :class:`ProgressBoard` (picklable)."""

    def __init__(self, board: Any, part: Part) -> None:
        self.board = board
        self.part = part

    def __call__(self, frames: int) -> None:
        with contextlib.suppress(Exception):
            self.board.report.remote(self.part, frames)


def reporting(report: Callable[[int], None] | None) -> Callable[[Any], None] | bool:
    """What a worker passes as the library's ``progress``: the frames out of each call's run stats."""
    if report is None:
        return False
    return lambda stats: report(stats.frames_out)
