"""``stylecam live``: the live tool for performers and streamers.

A camera (or a video file played at its own rate, for rehearsals) goes through a
:class:`LiveController` — the style, a crossfade between styles, the strength, keep-original-colours,
split view, mirror, pause, snapshots, recording — and into a window and/or a virtual camera. The
package, by job:

- :mod:`~stylecam.live.controller`: :class:`LiveController`, the session's state and one method per
  key; it runs the same :class:`~stylecam.stage.StylizeStep` as ``stylecam video``.
- :mod:`~stylecam.live.keys`: the key table (bindings and help text in one place).
- :mod:`~stylecam.live.overlay`: what the window draws on top: stats line, badges, messages, help.
- :mod:`~stylecam.live.compose`: keep-colours, strength and split view on the stylized picture.
- :mod:`~stylecam.live.styles`: the styles' networks, loaded when needed (in the background).
- :mod:`~stylecam.live.recording`: snapshots, and recordings through a background video sink.
- :mod:`~stylecam.live.run`: start-up: :func:`run_live` with :class:`~stylecam.options.LiveOptions`.

Example:
    >>> from stylecam.live import LiveController  # doctest: +SKIP
    >>> ctl = LiveController(["starry-night", "the-scream"])  # doctest: +SKIP
    >>> out = ctl.process(frame)  # Frame in, the clean uint8 BGR picture out  # doctest: +SKIP
    >>> ctl.next_style()  # the same as pressing n  # doctest: +SKIP
"""

from __future__ import annotations

from ..options import LiveOptions
from ..sizes import parse_camera_size
from .compose import divider_columns, keep_colors, split_view
from .controller import LiveController
from .keys import HELP, KEY_DOWN, KEY_ESC, KEY_LEFT, KEY_RIGHT, KEY_UP, KEYMAP
from .overlay import DISPLAY_MIN_HEIGHT
from .run import open_live_source, run_live

__all__ = [
    "DISPLAY_MIN_HEIGHT",
    "HELP",
    "KEYMAP",
    "KEY_DOWN",
    "KEY_ESC",
    "KEY_LEFT",
    "KEY_RIGHT",
    "KEY_UP",
    "LiveController",
    "LiveOptions",
    "divider_columns",
    "keep_colors",
    "open_live_source",
    "parse_camera_size",
    "run_live",
    "split_view",
]
