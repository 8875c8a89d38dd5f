"""Which image and video files stylecam reads and writes, by suffix, in one place.

Which video containers are written, with which codecs, is :mod:`stylecam.sinks.video`'s table; a video
file named on its own is always tried (FFmpeg decides), :data:`VIDEO_SUFFIXES` is for picking videos out
of a folder.

Example:
    >>> from stylecam.formats import IMAGE_SUFFIXES, writable_image_suffixes_text
    >>> ".exr" in IMAGE_SUFFIXES, ".mp4" in IMAGE_SUFFIXES
    (True, False)
    >>> writable_image_suffixes_text()
    '.png, .jpg, .jpeg, .bmp, .webp, .tif or .tiff'
"""

from __future__ import annotations

#: what OpenCV writes well, in the order messages list them; also what training reads
WRITABLE_IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")

#: what the image source reads (OpenCV's readers beyond the writable ones)
IMAGE_SUFFIXES: frozenset[str] = frozenset((*WRITABLE_IMAGE_SUFFIXES, ".ppm", ".pgm", ".jp2", ".exr"))

#: what ``stylecam image DIR -o OUTDIR --format`` writes into a folder (the first is the default)
FOLDER_IMAGE_FORMATS: tuple[str, ...] = (".png", ".jpg")

#: the suffixes written as JPEG (with a quality setting)
JPEG_SUFFIXES: frozenset[str] = frozenset((".jpg", ".jpeg"))

#: the images a training or calibration folder may hold
TRAINING_IMAGE_SUFFIXES: frozenset[str] = frozenset(WRITABLE_IMAGE_SUFFIXES)


#: the files a folder walk or a pattern takes as videos (a file named on its own is always tried)
VIDEO_SUFFIXES: frozenset[str] = frozenset(
    (".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv", ".3gp")
)


def writable_image_suffixes_text() -> str:
    """``'.png, .jpg, ... or .tiff'``: the writable suffixes for a message."""
    *rest, last = WRITABLE_IMAGE_SUFFIXES
    return f"{', '.join(rest)} or {last}"
