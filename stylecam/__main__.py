"""``python -m stylecam`` is the ``stylecam`` command."""

import sys

from .cli import main

sys.exit(main())
