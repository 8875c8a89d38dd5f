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
