"""A status line on stderr that rewrites itself (progress bars, live stats)."""

from __future__ import annotations

import sys


class StatusLine:
    """Rewrites one line on stderr with ``show``; ``finish`` ends it with a newline if anything was shown."""

    def __init__(self, enabled: bool = True, width: int = 150) -> None:
        self.enabled = enabled
        self.width = width
        self._shown = False

    def show(self, text: str) -> None:
        if not self.enabled:
            return
        sys.stderr.write("\r" + text[: self.width].ljust(80))
        sys.stderr.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._shown = False


class Progress(StatusLine):
    """A progress bar with fps and ETA on stderr (only when stderr is a terminal, unless forced)."""

    def __init__(self, label: str, total: int | None, enabled: bool | None = None) -> None:
        super().__init__(sys.stderr.isatty() if enabled is None else enabled)
        self.label = label
        self.total = total

    def __call__(self, stats) -> None:
        done, fps, total = stats.frames_out, stats.fps, self.total
        if total:
            frac = min(1.0, done / total)
            bar = "#" * int(frac * 24) + "-" * (24 - int(frac * 24))
            eta = (total - done) / fps if fps > 0 else 0.0
            self.show(
                f"{self.label} [{bar}] {done}/{total} {100 * frac:3.0f}% {fps:5.1f} fps ETA {eta:4.0f}s"
            )
        else:
            self.show(f"{self.label} {done} frames {fps:5.1f} fps")
