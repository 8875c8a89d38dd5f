"""``python -m stylecam.training train|export|variants ARGS``: the same as ``stylecam train|export|variants``."""

from __future__ import annotations

import sys

from .cli import export_main, train_main, variants_main


def main(argv: list[str] | None = None) -> int:
    """Dispatch to ``train``, ``export`` or ``variants``."""
    argv = sys.argv[1:] if argv is None else argv
    commands = {"train": train_main, "export": export_main, "variants": variants_main}
    if not argv or argv[0] not in commands:
        print("usage: python -m stylecam.training {train,export,variants} ...", file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
