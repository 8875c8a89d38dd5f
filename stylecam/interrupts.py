"""Ctrl-C, SIGTERM and SIGHUP end a run the same way, and a second one never breaks the finishing.

``timeout``, ``docker stop`` and systemd send SIGTERM; closing the terminal sends SIGHUP. The first
of these signals asks the running pipeline to stop (:meth:`Interrupts.running`): the frames already
stylized are written and the output file is finished and moved into place. Any further signal only
says, once, that the file is still being finished. Outside a pipeline the first signal raises
:class:`KeyboardInterrupt`, as Ctrl-C does. The exit code is ``128 + signal number`` (130 for Ctrl-C,
143 for SIGTERM, 129 for SIGHUP).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupts:
    """The process's handler for SIGINT, SIGTERM and SIGHUP (installed by the command line)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._stop: Callable[[str], None] | None = None
        self._what = ""
        self._told = False

    @property
    def exit_code(self) -> int:
        """``128 + signal``: 130 for Ctrl-C (also when none was received)."""
        return 128 + (self.received or signal.SIGINT)

    @property
    def name(self) -> str:
        """``"Ctrl-C"``, ``"SIGTERM"`` or ``"SIGHUP"``."""
        if self.received in (None, signal.SIGINT):
            return "Ctrl-C"
        return signal.Signals(self.received).name

    @contextlib.contextmanager
    def installed(self) -> Iterator[Interrupts]:
        """Handle the signals while the block runs (main thread only; elsewhere a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        old = {sig: signal.getsignal(sig) for sig in _SIGNALS}
        self.received, self._stop, self._told = None, None, False
        for sig in _SIGNALS:
            signal.signal(sig, self._handle)
        try:
            yield self
        finally:
            # After a signal the process is on its way out with 128 + signal: ignore any more of them,
            # so that one more Ctrl-C in those last moments (the interpreter's own shutdown puts the
            # default handlers back) is not a traceback or death by SIGINT.
            for sig, handler in old.items():
                signal.signal(sig, handler if self.received is None else signal.SIG_IGN)

    @contextlib.contextmanager
    def running(self, stop: Callable[[str], None], what: str = "the output") -> Iterator[None]:
        """While the block runs, a signal calls ``stop("interrupted")`` instead of raising."""
        self._stop, self._what = stop, what
        try:
            if self.received is not None:  # it came while the run was being set up
                stop("interrupted")
            yield
        finally:
            self._stop = None

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is None:
            self.received = signum
            if self._stop is not None:
                self._stop("interrupted")
                return
            raise KeyboardInterrupt
        if not self._told:
            self._told = True
            print(f"stylecam: still finishing {self._what}; please wait", file=sys.stderr, flush=True)


#: The one handler of this process.
INTERRUPTS = Interrupts()
