"""The model I/O contract: what a style network takes and returns, in one object, :class:`IOContract`.

``stylecam export`` writes :data:`STYLECAM` into the ONNX file's ``metadata_props``
(:meth:`IOContract.metadata`); the model registry and the engine read it back with
:meth:`IOContract.from_metadata`, which fills keys a file omits from :data:`DEFAULT`. The keys, and what
each means, are :data:`METADATA_KEYS`. Pure Python: no torch, no ONNX.

Example:
    >>> from stylecam.contract import STYLECAM, IOContract
    >>> STYLECAM.metadata()["input_layout"], STYLECAM.native
    ('NHWC', True)
    >>> IOContract.from_metadata({"color_order": "BGR"}).input_layout  # the default for an omitted key
    'NCHW'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

__all__ = ["DEFAULT", "METADATA_KEYS", "STYLECAM", "IOContract"]

#: Metadata keys written by ``stylecam export`` and read by :mod:`stylecam.models`. All values are strings.
METADATA_KEYS: dict[str, str] = {
    "stylecam.format": "metadata format version ('1')",
    "name": "short style name used on the command line, e.g. 'starry-night'",
    "title": "title of the painting the style was trained from",
    "artist": "the painter",
    "year": "year of the painting",
    "arch": "network architecture ('paint', 'fast' or 'quality')",
    "input_layout": "'NHWC' or 'NCHW'",
    "input_dtype": "'uint8', 'float32' or 'float16'",
    "input_range": "'0-255' or '0-1'",
    "output_layout": "'NHWC' or 'NCHW'",
    "output_range": "'0-255' or '0-1'",
    "color_order": "'BGR' or 'RGB' (input and output)",
    "size_multiple": "height and width must be a multiple of this (the runtime pads)",
    "recommended_size": "processing size the style was tuned for, 'WxH' (e.g. '640x360')",
    "license": "licence of the weights, and the status of the painting",
    "precision": "'fp32' (the reference), or a variant beside it: 'fp16' (GPUs) or 'int8' (CPUs)",
    "flops_per_pixel": "floating-point operations of the convolutions per input pixel (for GFLOP/s)",
    "training": "JSON object with the training settings",
    "styles": "a network of several styles: JSON list of {name, title, artist, year}, in the order of the "
    "weights of its second input, 'style' (float32, one weight per style)",
}

#: the :class:`IOContract` fields stored in the metadata, by key
_CONTRACT_KEYS = (
    "input_layout",
    "input_dtype",
    "input_range",
    "output_layout",
    "output_range",
    "color_order",
    "size_multiple",
)


@dataclass(frozen=True)
class IOContract:
    """How a style network's tensors look.

    Attributes:
        input_layout, output_layout: ``"NHWC"`` or ``"NCHW"``.
        input_dtype: ``"uint8"``, ``"float32"`` or ``"float16"``.
        input_range, output_range: ``"0-255"`` or ``"0-1"``.
        color_order: ``"BGR"`` or ``"RGB"`` (input and output).
        size_multiple: height and width must be a multiple of this (the runtime pads).
        input_name, output_name: the graph's image input and output as export names them (the engine
            takes whatever names a file's graph has).
        style_input: the second input of a multi-style network, float32 weights over its styles.
    """

    input_layout: str
    input_dtype: str
    input_range: str
    output_layout: str
    output_range: str
    color_order: str
    size_multiple: int
    input_name: str = "frame"
    output_name: str = "stylized"
    style_input: str = "style"

    @classmethod
    def from_metadata(cls, meta: Mapping[str, str]) -> IOContract:
        """The contract a file's metadata describes; omitted keys (and a bad size multiple) from :data:`DEFAULT`."""
        given = {k: meta[k] for k in _CONTRACT_KEYS if meta.get(k) and k != "size_multiple"}
        multiple = DEFAULT.size_multiple
        try:
            if meta.get("size_multiple"):
                multiple = max(1, int(meta["size_multiple"]))
        except ValueError:
            pass
        return replace(DEFAULT, **given, size_multiple=multiple)

    def metadata(self) -> dict[str, str]:
        """The metadata keys and values that describe this contract (what export writes)."""
        return {k: str(getattr(self, k)) for k in _CONTRACT_KEYS}

    @property
    def input_nhwc(self) -> bool:
        return self.input_layout.upper() == "NHWC"

    @property
    def output_nhwc(self) -> bool:
        return self.output_layout.upper() == "NHWC"

    @property
    def bgr(self) -> bool:
        return self.color_order.upper() == "BGR"

    @property
    def input_scale(self) -> float:
        """The factor from 0-255 pixel values to the network's input values."""
        return 1.0 if self.input_range == "0-255" else 1 / 255.0

    @property
    def output_scale(self) -> float:
        """The factor from the network's output values to 0-255 pixel values."""
        return 1.0 if self.output_range == "0-255" else 255.0

    @property
    def native(self) -> bool:
        """``uint8`` NHWC BGR in and out (the stylecam contract): the output has the input's shape and
        type, so buffers can be bound once per size (IO binding), which a CUDA graph needs."""
        return self.input_dtype == "uint8" and self.input_nhwc and self.output_nhwc and self.bgr


#: what a file that omits a key gets (the layout of a plain PyTorch export)
DEFAULT = IOContract(
    input_layout="NCHW",
    input_dtype="float32",
    input_range="0-255",
    output_layout="NCHW",
    output_range="0-255",
    color_order="RGB",
    size_multiple=4,
)

#: what ``stylecam export`` writes: uint8 NHWC BGR 0-255 in and out (``size_multiple`` per architecture)
STYLECAM = IOContract(
    input_layout="NHWC",
    input_dtype="uint8",
    input_range="0-255",
    output_layout="NHWC",
    output_range="0-255",
    color_order="BGR",
    size_multiple=4,
)
