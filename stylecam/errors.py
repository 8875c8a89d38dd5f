"""Errors that reach the user as one line on stderr and a non-zero exit code.

Every failure a user can cause (a missing file, an unknown style, a device that
is not there) is raised as a :class:`StylecamError` whose message names the
problem and whose ``hint`` says what to do. The CLI prints
``stylecam: error: <message> (<hint>)`` and exits with ``exit_code``.
"""

from __future__ import annotations


class StylecamError(Exception):
    """A user-facing error: one line, no traceback.

    Args:
        message: what went wrong, naming the file, style or device involved.
        hint: what the user can do about it.
        exit_code: the process exit code the CLI uses (2 for bad input,
            3 for a missing device or dependency, 1 otherwise).
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def one_line(self) -> str:
        text = self.message if not self.hint else f"{self.message} — {self.hint}"
        return " ".join(text.split())

    def __str__(self) -> str:
        return self.one_line()


class InputError(StylecamError):
    """A file, folder, camera or argument the user gave cannot be used."""

    exit_code = 2


class ModelError(StylecamError):
    """A style network is missing, unknown or malformed."""

    exit_code = 2


class DeviceError(StylecamError):
    """The requested execution device (CUDA, TensorRT) or a backend (virtual camera) is not available."""

    exit_code = 3


class OutputError(StylecamError):
    """An output path cannot be written."""

    exit_code = 2


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first non-blank line of ``exc``'s message (its type's name when there is none), cut at ``limit``.

    For the ``(reason)`` part of a one-line error built from a library's long exception text.
    """
    lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    return (lines[0] if lines else type(exc).__name__)[:limit]
