"""The ``stylecam`` command's entry point: a Ctrl-C while the command is still importing its modules
(numpy, OpenCV, ONNX Runtime take a moment) ends it with exit 130 and no traceback, as it does later."""

from __future__ import annotations

import sys


def main() -> int:
    """Import the command line and run it."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        print("stylecam: interrupted", file=sys.stderr)
        return 130
    return run()
