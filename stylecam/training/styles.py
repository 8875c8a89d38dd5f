"""What we know about the paintings in the shared style set: short name, title, artist, year."""

from __future__ import annotations

import re
from pathlib import Path

#: file-name stem -> (slug, title, artist, year)
PAINTINGS: dict[str, tuple[str, str, str, str]] = {
    "van_gogh_starry_night_1889": ("starry-night", "The Starry Night", "Vincent van Gogh", "1889"),
    "hokusai_great_wave_off_kanagawa_c1831": (
        "great-wave",
        "The Great Wave off Kanagawa",
        "Katsushika Hokusai",
        "c. 1831",
    ),
    "munch_the_scream_1893": ("the-scream", "The Scream", "Edvard Munch", "1893"),
    "kandinsky_composition_vii_1913": ("composition-vii", "Composition VII", "Wassily Kandinsky", "1913"),
    "picabia_udnie_1913": ("udnie", "Udnie (Young American Girl, The Dance)", "Francis Picabia", "1913"),
    "turner_shipwreck_of_the_minotaur_c1810": (
        "minotaur",
        "The Shipwreck of the Minotaur",
        "J. M. W. Turner",
        "c. 1810",
    ),
    "monet_water_lilies_1919": ("water-lilies", "Water Lilies", "Claude Monet", "1919"),
    "monet_impression_sunrise_1872": ("impression-sunrise", "Impression, Sunrise", "Claude Monet", "1872"),
    "klimt_the_kiss_1908": ("the-kiss", "The Kiss", "Gustav Klimt", "1908"),
    "matisse_woman_with_a_hat_1905": ("woman-with-a-hat", "Woman with a Hat", "Henri Matisse", "1905"),
}


def painting_info(style_path: str, name: str = "") -> dict[str, str]:
    """Name, title, artist and year for a painting file; unknown paintings get their file name as title."""
    stem = Path(str(style_path)).stem
    if stem in PAINTINGS:
        slug, title, artist, year = PAINTINGS[stem]
        return {"name": name or slug, "title": title, "artist": artist, "year": year}
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "style"
    return {"name": name or slug, "title": stem.replace("_", " "), "artist": "", "year": ""}
