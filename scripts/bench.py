#!/usr/bin/env python3
"""Benchmark stylecam on this machine: the same program as ``stylecam bench`` (see stylecam/bench.py).

Examples:
    python scripts/bench.py --json bench.json
    python scripts/bench.py --clip ../shared/data/video/chaplin_silent_film_clip_640x360_9s.mp4 \\
        --compare /path/to/stl-venv/bin/python
"""

import sys

from stylecam.bench import main

if __name__ == "__main__":
    sys.exit(main())
