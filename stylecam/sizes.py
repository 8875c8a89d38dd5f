"""Frame sizes as people write them, parsed in one place.

``WIDTHxHEIGHT`` (``640x360``, also ``640×360`` or ``640*360``) for ``--size``, ``--camera-size``,
``stylecam bench --sizes`` and a model's ``recommended_size``; a named height (``720p``) or a bare
height (``480``), ``full`` and ``auto`` for ``--size`` only.

Example:
    >>> from stylecam.sizes import parse_wh, parse_size
    >>> parse_wh("640x360"), parse_wh("720p")
    ((640, 360), None)
    >>> parse_size("720p"), parse_size("full"), parse_size("auto")
    (720, None, 'auto')
"""

from __future__ import annotations

import re

from .errors import InputError

#: Named processing sizes for ``--size``; the width follows the frame's aspect ratio.
NAMED_HEIGHTS = {
    "240p": 240,
    "360p": 360,
    "480p": 480,
    "540p": 540,
    "720p": 720,
    "1080p": 1080,
    "1440p": 1440,
}

_WH = re.compile(r"(\d+)\s*[x×*]\s*(\d+)")
_HEIGHT = re.compile(r"(\d+)p?")


def parse_wh(text: str | None) -> tuple[int, int] | None:
    """``'640x360'`` → ``(640, 360)``; ``None``, anything else or a side of 0 → ``None``."""
    if text is None:
        return None
    m = _WH.fullmatch(str(text).strip().lower())
    if not m:
        return None
    w, h = int(m.group(1)), int(m.group(2))
    return (w, h) if w > 0 and h > 0 else None


def parse_size(text: str | None) -> tuple[int, int] | int | str | None:
    """Parse ``--size``: ``'640x360'`` → ``(640, 360)``; ``'720p'`` → ``720`` (a height); ``None`` or
    ``'full'`` → ``None`` (the frame's own size); ``'auto'`` → ``'auto'`` (see
    :class:`stylecam.engine.Stylizer`).

    Raises:
        InputError: the text is neither ``WxH``, a named size, ``full`` nor ``auto``.
    """
    if text is None or text == "":
        return None
    t = text.strip().lower()
    if t == "full":
        return None
    if t == "auto":
        return "auto"
    if t in NAMED_HEIGHTS:
        return NAMED_HEIGHTS[t]
    wh = parse_wh(t)
    if wh is not None:
        return wh
    m = _HEIGHT.fullmatch(t)
    if m and int(m.group(1)) > 0:
        return int(m.group(1))
    raise InputError(
        f"bad --size '{text}'",
        "use WIDTHxHEIGHT such as 640x360, a height such as 720p or 480, 'full' or 'auto'",
    )


def parse_camera_size(text: str | None) -> tuple[int, int] | None:
    """Parse ``--camera-size``: ``'1280x720'`` → ``(1280, 720)``; ``None`` → ``None``.

    Raises:
        InputError: not ``WIDTHxHEIGHT``.
    """
    if text is None or str(text).strip() == "":
        return None
    wh = parse_wh(text)
    if wh is None:
        raise InputError(f"bad --camera-size '{text}'", "use WIDTHxHEIGHT, such as 1280x720")
    return wh


def parse_sizes_list(text: str, option: str = "--sizes") -> list[tuple[int, int]]:
    """A comma-separated list of ``WxH`` (``'640x360,1280x720'``), empty items skipped.

    Raises:
        InputError: an item is not ``WIDTHxHEIGHT``.
    """
    out = []
    for item in text.split(","):
        if not item.strip():
            continue
        wh = parse_wh(item)
        if wh is None:
            raise InputError(f"bad {option} '{item}'", "use WIDTHxHEIGHT, such as 640x360")
        out.append(wh)
    return out
