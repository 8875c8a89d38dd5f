"""What the live window shows on top of the picture: the stats line, badges, messages and the help panel.

Everything is drawn on a copy (enlarged to :data:`DISPLAY_MIN_HEIGHT` when lower): the clean picture is
what the virtual camera, recordings and snapshots get. The help panel lists the key table of
:mod:`stylecam.live.keys`.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .keys import HELP

#: Pictures lower than this are enlarged for the window (overlays need the room).
DISPLAY_MIN_HEIGHT = 360

HELP_TITLE = "stylecam live - keys"

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def draw_overlay(
    image: np.ndarray,
    *,
    stats: str,
    recording: bool = False,
    paused: bool = False,
    split: bool = False,
    message: str = "",
    status: str | None = None,
    help_styles: Sequence[str] | None = None,
) -> np.ndarray:
    """The window's picture: ``image`` (enlarged to :data:`DISPLAY_MIN_HEIGHT` when lower) with the
    ``stats`` line, the REC / PAUSED badges, the split view's labels, the transient ``message``, a source
    problem (``status``, big in the middle) and, when ``help_styles`` is given, the help panel listing
    the keys and those style names. ``image`` itself is not changed.
    """
    if image.shape[0] < DISPLAY_MIN_HEIGHT:  # small sources are shown enlarged, so the text stays legible
        f = DISPLAY_MIN_HEIGHT / image.shape[0]
        out = cv2.resize(
            image, (round(image.shape[1] * f), DISPLAY_MIN_HEIGHT), interpolation=cv2.INTER_LINEAR
        )
    else:
        out = image.copy()
    h, w = out.shape[:2]
    scale = _font_scale(h)
    _label(out, stats, (8, 8), scale)
    badges = []
    if recording:
        badges.append(("REC", (40, 40, 230)))
    if paused:
        badges.append(("PAUSED", (40, 160, 230)))
    x = w - 8
    for text, color in badges:
        (tw, _th), _ = cv2.getTextSize(text, _FONT, scale, _thick(scale))
        x -= tw + 16
        _label(out, text, (x, 8), scale, bg=color, fg=(255, 255, 255))
        x -= 6
    if split:
        half = w // 2
        _label(out, "original", (8, h - 8), scale * 0.8, anchor="bottom")
        (tw, _), _ = cv2.getTextSize("stylized", _FONT, scale * 0.8, _thick(scale * 0.8))
        _label(out, "stylized", (max(half + 8, w - tw - 24), h - 8), scale * 0.8, anchor="bottom")
    if message and help_styles is None:
        (tw, _), _ = cv2.getTextSize(message, _FONT, scale, _thick(scale))
        bottom = h - 8 - (int(40 * scale) if split else 0)
        _label(out, message, (max(8, (w - tw) // 2 - 8), bottom), scale, anchor="bottom")
    if status:
        _centered_panel(
            out, [status, "waiting for the camera to come back ..."], scale * 1.2, bg=(30, 30, 120)
        )
    if help_styles is not None:
        _help_panel(out, HELP_TITLE, list(HELP), list(help_styles), scale)
    return out


def _font_scale(height: int) -> float:
    return max(0.4, min(1.2, height / 720 * 0.75))


def _thick(scale: float) -> int:
    return 2 if scale >= 0.9 else 1


def _label(
    img: np.ndarray,
    text: str,
    org: tuple[int, int],
    scale: float,
    *,
    fg: tuple[int, int, int] = (255, 255, 255),
    bg: tuple[int, int, int] | None = None,
    anchor: str = "top",
) -> None:
    """Text on a darkened (or coloured) box; ``org`` is the box's top-left (or bottom-left) corner."""
    thick = _thick(scale)
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
    pad = max(3, int(6 * scale))
    x0 = int(org[0])
    y0 = int(org[1]) if anchor == "top" else int(org[1]) - th - base - 2 * pad
    x1, y1 = x0 + tw + 2 * pad, y0 + th + base + 2 * pad
    h, w = img.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 > cx0 and cy1 > cy0:
        region = img[cy0:cy1, cx0:cx1]
        if bg is None:
            region[:] = (region * 0.35).astype(np.uint8)
        else:
            region[:] = bg
    cv2.putText(img, text, (x0 + pad, y0 + pad + th), _FONT, scale, fg, thick, cv2.LINE_AA)


def _darken(
    img: np.ndarray,
    x0: int,
    y0: int,
    x1: int,
    y1: int,
    amount: float = 0.25,
    tint: tuple[int, int, int] | None = None,
) -> None:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    region = img[y0:y1, x0:x1].astype(np.float32) * amount
    if tint is not None:
        region += np.array(tint, np.float32) * (1 - amount)
    img[y0:y1, x0:x1] = np.clip(region, 0, 255).astype(np.uint8)


def _centered_panel(img: np.ndarray, lines: list[str], scale: float, bg=(40, 40, 40)) -> None:
    h, w = img.shape[:2]
    while scale > 0.35:
        sizes = [cv2.getTextSize(t, _FONT, scale, _thick(scale))[0] for t in lines]
        if max(s[0] for s in sizes) + 40 <= w:
            break
        scale *= 0.9
    thick = _thick(scale)
    line_h = int(max(s[1] for s in sizes) * 1.9)
    box_w = max(s[0] for s in sizes) + 40
    box_h = line_h * len(lines) + 24
    x0, y0 = (w - box_w) // 2, (h - box_h) // 2
    _darken(img, x0, y0, x0 + box_w, y0 + box_h, 0.3, tint=bg)
    for i, (text, (tw, th)) in enumerate(zip(lines, sizes, strict=True)):
        y = y0 + 12 + line_h * i + (line_h + th) // 2
        cv2.putText(img, text, ((w - tw) // 2, y), _FONT, scale, (255, 255, 255), thick, cv2.LINE_AA)


def _help_panel(
    img: np.ndarray, title: str, rows: list[tuple[str, str]], styles: list[str], scale: float
) -> None:
    """A dark panel in the middle: the keys on the left, the first nine styles on the right."""
    h, w = img.shape[:2]
    while True:
        thick = _thick(scale)
        key_w = max(cv2.getTextSize(k, _FONT, scale, thick)[0][0] for k, _ in rows)
        what_w = max(cv2.getTextSize(d, _FONT, scale, thick)[0][0] for _, d in rows)
        style_w = max((cv2.getTextSize(s, _FONT, scale, thick)[0][0] for s in styles), default=0)
        th = cv2.getTextSize("Ag", _FONT, scale, thick)[0][1]
        line_h = int(th * 1.8) + 2
        gap = int(24 * scale) + 6
        box_w = key_w + what_w + (style_w + gap if styles else 0) + 2 * gap + gap // 2
        box_h = line_h * (len(rows) + 2) + gap
        if (box_w <= w - 8 and box_h <= h - 8) or scale < 0.3:
            break
        scale *= 0.9
    x0, y0 = max(0, (w - box_w) // 2), max(0, (h - box_h) // 2)
    _darken(img, x0, y0, x0 + box_w, y0 + box_h, 0.22)
    cv2.rectangle(img, (x0, y0), (x0 + box_w - 1, y0 + box_h - 1), (200, 200, 200), 1)
    x = x0 + gap
    y = y0 + gap // 2 + line_h
    cv2.putText(img, title, (x, y), _FONT, scale, (120, 220, 255), thick, cv2.LINE_AA)
    y += line_h // 2
    for i, (keys, what) in enumerate(rows):
        yy = y + line_h * (i + 1)
        cv2.putText(img, keys, (x, yy), _FONT, scale, (120, 220, 255), thick, cv2.LINE_AA)
        cv2.putText(img, what, (x + key_w + gap // 2, yy), _FONT, scale, (255, 255, 255), thick, cv2.LINE_AA)
    if styles:
        sx = x + key_w + gap // 2 + what_w + gap
        cv2.putText(img, "styles", (sx, y + line_h), _FONT, scale, (120, 220, 255), thick, cv2.LINE_AA)
        for i, name in enumerate(styles):
            cv2.putText(
                img, name, (sx, y + line_h * (i + 2)), _FONT, scale, (255, 255, 255), thick, cv2.LINE_AA
            )
