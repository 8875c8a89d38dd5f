"""A status line on stderr that rewrites itself (progress bars, live stats), or, where stderr is not a
terminal, writes a plain line now and then."""

from __future__ import annotations

import sys
import time


class StatusLine:
    """Rewrites one line on stderr with ``show``; ``finish`` ends it with a newline if anything was shown.

    ``every``: instead of rewriting one line, write each text shown as a line of its own, at most every
    ``every`` seconds (for a log file or a pipe, where ``\\r`` does not rewrite anything).
    """

    def __init__(self, enabled: bool = True, width: int = 150, every: float | None = None) -> None:
        self.enabled = enabled
        self.width = width
        self.every = every
        self._shown = False
        self._text = ""
        self._last: float | None = None

    def show(self, text: str, force: bool = False) -> None:
        """Show ``text`` (``force``: a plain line even before ``every`` seconds have passed)."""
        if not self.enabled:
            return
        self._text = text
        if self.every is not None:
            now = time.monotonic()
            if not force and self._last is not None and now - self._last < self.every:
                return
            self._last = now
            sys.stderr.write(text[: self.width] + "\n")
            sys.stderr.flush()
            return
        sys.stderr.write("\r" + text[: self.width].ljust(80))
        sys.stderr.flush()
        self._shown = True

    def clear(self) -> None:
        """Blank the rewritten line, so that other lines can be written; ``redraw`` shows it again."""
        if self._shown:
            sys.stderr.write("\r" + " " * max(80, min(self.width, len(self._text))) + "\r")
            sys.stderr.flush()
            self._shown = False

    def redraw(self) -> None:
        """Show the last text again after ``clear`` (a plain line is not written again)."""
        if self._text and self.every is None:
            self.show(self._text)

    def finish(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._shown = False


class Progress(StatusLine):
    """A progress bar with fps and ETA on stderr (only when stderr is a terminal, unless forced)."""

    def __init__(
        self,
        label: str,
        total: int | None,
        enabled: bool | None = None,
        *,
        width: int = 150,
        every: float | None = None,
    ) -> None:
        super().__init__(sys.stderr.isatty() if enabled is None else enabled, width, every)
        self.label = label
        self.total = total

    def __call__(self, stats) -> None:
        self.update(stats.frames_out, stats.fps)

    def update(self, done: int, fps: float, extra: str = "", force: bool = False) -> None:
        """Show ``done`` of :attr:`total` frames at ``fps``, with ``extra`` words after them."""
        total = self.total
        if total:
            frac = min(1.0, done / total)
            bar = "#" * int(frac * 24) + "-" * (24 - int(frac * 24))
            eta = (total - done) / fps if fps > 0 else 0.0
            text = f"{self.label} [{bar}] {done}/{total} {100 * frac:3.0f}% {fps:5.1f} fps ETA {eta:4.0f}s"
        else:
            text = f"{self.label} {done} frames {fps:5.1f} fps"
        self.show(f"{text} {extra}" if extra else text, force)
