"""``python -m stylecam`` is the ``stylecam`` command."""

import sys

from ._launch import main

sys.exit(main())
