"""Fixtures for the training tests: tiny generated photos and a painting, no shared data needed."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("torchvision")


def _photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth random picture with a few shapes (BGR uint8)."""
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(3):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(img, c, int(rng.integers(4, 16)), [int(v) for v in rng.integers(0, 256, 3)], -1)
    return img


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(painting, content folder): a striped 'painting' and six 48x64 photos."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    content = root / "content"
    content.mkdir()
    for i in range(6):
        cv2.imwrite(str(content / f"photo_{i}.png"), _photo(rng, 48, 64))
    yy, xx = np.mgrid[0:256, 0:256]
    stripes = ((np.sin(xx / 8.0 + yy / 12.0) > 0)[..., None] * np.array([30, 160, 240])).astype(np.uint8)
    painting = root / "painting.png"
    cv2.imwrite(str(painting), stripes)
    return painting, content
