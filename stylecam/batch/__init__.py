"""Many videos and images in one run, on this machine or on a Ray cluster: ``stylecam batch``.

- :mod:`~stylecam.batch.plan`: which inputs, and their outputs (mirrored names, no collisions).
- :mod:`~stylecam.batch.manifest`: what is finished, so that a re-run skips it after checking it.
- :mod:`~stylecam.batch.work`: what a worker runs (the library API, or the pipeline for a chunk).
- :mod:`~stylecam.batch.local`: worker processes here; :mod:`~stylecam.batch.cluster`: Ray tasks.
- :mod:`~stylecam.batch.chunks`: a long video split at keyframes and joined without a seam.
- :mod:`~stylecam.batch.progress`: one display of the frames and files of the whole batch, from the
  workers' reports as they go.
- :mod:`~stylecam.batch.run`: one run from plan to summary; :mod:`~stylecam.batch.command`: the command.

Every output is written under a temporary name (``.NAME.batch-part.mp4``) and moved into place once
it holds every frame; nothing that is there is replaced unless ``overwrite`` (``-y``) is given.

Example:
    >>> from stylecam.api import VideoOptions  # doctest: +SKIP
    >>> report = run_batch(["clips/"], "styled", BatchOptions(VideoOptions(style="udnie")))  # doctest: +SKIP
    >>> len(report.done), len(report.skipped), report.fps  # doctest: +SKIP
    (9, 0, 41.7)
"""

from __future__ import annotations

from .run import BatchOptions, BatchReport, run_batch

__all__ = ["BatchOptions", "BatchReport", "run_batch"]
