"""``python -m stylecam.training train|export ARGS``: the same as ``stylecam train|export``."""

from __future__ import annotations

import sys

from .cli import export_main, train_main


def main(argv: list[str] | None = None) -> int:
    """Dispatch to ``train`` or ``export``."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("train", "export"):
        print("usage: python -m stylecam.training {train,export} ...", file=sys.stderr)
        return 2
    return (train_main if argv[0] == "train" else export_main)(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
