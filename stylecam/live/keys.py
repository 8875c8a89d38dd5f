"""The live tool's keys: one table that both the key handling and the help panel read.

Each :class:`Binding` names a :class:`~stylecam.live.controller.LiveController` method (the action),
the ``cv2.waitKeyEx`` codes that run it and the two columns of its line on the help panel, so a key
cannot be bound without being listed, nor listed without being bound.

Example:
    >>> lookup(ord("n"))
    ('next_style', ())
    >>> lookup(ord("3"))
    ('select_style', (2,))
    >>> HELP[0]
    ('n / Right', 'next style')
"""

from __future__ import annotations

from dataclasses import dataclass

# cv2.waitKeyEx codes of the arrow keys: Qt (opencv-python on Linux), GTK, Windows, macOS (Cocoa)
KEY_LEFT = frozenset({0x1000012, 65361, 2424832, 63234})
KEY_UP = frozenset({0x1000013, 65362, 2490368, 63232})
KEY_RIGHT = frozenset({0x1000014, 65363, 2555904, 63235})
KEY_DOWN = frozenset({0x1000015, 65364, 2621440, 63233})
KEY_ESC = 27


def codes(chars: str) -> frozenset[int]:
    """The key codes of the characters in ``chars``."""
    return frozenset(ord(c) for c in chars)


@dataclass(frozen=True)
class Binding:
    """One line of the key table.

    Attributes:
        action: the controller method the keys run.
        codes: the ``cv2.waitKeyEx`` codes bound to it.
        keys: the keys as the help panel names them (``"n / Right"``).
        what: what the action does, for the help panel.
        numbered: the keys are ``1`` to ``9``; the action gets the key's position (0 to 8).
    """

    action: str
    codes: frozenset[int]
    keys: str
    what: str
    numbered: bool = False


#: the key table, in the order of the help panel
BINDINGS: tuple[Binding, ...] = (
    Binding("next_style", codes("nN") | KEY_RIGHT, "n / Right", "next style"),
    Binding("previous_style", codes("pP") | KEY_LEFT, "p / Left", "previous style"),
    Binding("select_style", codes("123456789"), "1 - 9", "style 1 to 9", numbered=True),
    Binding("strength_up", codes("+=") | KEY_UP, "+ / Up", "strength up"),
    Binding("strength_down", codes("-_") | KEY_DOWN, "- / Down", "strength down"),
    Binding("toggle_keep_colors", codes("cC"), "c", "keep original colours"),
    Binding("toggle_split", codes("vV"), "v", "split view"),
    Binding("toggle_mirror", codes("mM"), "m", "mirror"),
    Binding("toggle_pause", codes(" "), "Space", "pause"),
    Binding("snapshot", codes("sS"), "s", "snapshot (PNG)"),
    Binding("toggle_recording", codes("rR"), "r", "record start / stop"),
    Binding("toggle_fullscreen", codes("fF"), "f", "fullscreen"),
    Binding("toggle_help", codes("hH?"), "h", "this help"),
    Binding("quit", codes("qQ") | {KEY_ESC}, "q / Esc", "quit"),
)

#: key code -> the binding it runs
BY_CODE: dict[int, Binding] = {code: b for b in BINDINGS for code in b.codes}

#: key code -> action (a :class:`~stylecam.live.controller.LiveController` method name)
KEYMAP: dict[int, str] = {code: b.action for code, b in BY_CODE.items()}

#: (keys, what they do) as listed on the help panel
HELP: list[tuple[str, str]] = [(b.keys, b.what) for b in BINDINGS]


def lookup(key: int | None) -> tuple[str, tuple[int, ...]] | None:
    """The action bound to a ``cv2.waitKeyEx`` code and its arguments; ``None`` when the key is unbound.

    Some window back ends add modifier bits above the character code; those are ignored.
    """
    if key is None or key < 0:
        return None
    binding = BY_CODE.get(key)
    if binding is None and 0 < (key & 0xFF) < 128 and key > 0xFFFF:
        key &= 0xFF
        binding = BY_CODE.get(key)
    if binding is None:
        return None
    return binding.action, ((key - ord("1"),) if binding.numbered else ())
