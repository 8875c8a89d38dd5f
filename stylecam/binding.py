"""IO binding for a style network: device buffers bound once per frame size, :class:`BoundRunner`.

Each frame crosses to the GPU once (``uint8``, 3 bytes a pixel) and comes back once; under CUDA each
frame size is replayed as a CUDA graph. :class:`stylecam.engine.Stylizer` uses it for networks of the
stylecam contract (:attr:`stylecam.contract.IOContract.native`).
"""

from __future__ import annotations

import numpy as np

from .contract import STYLECAM
from .providers import load_onnxruntime

__all__ = ["BoundRunner"]


class BoundRunner:
    """IO binding: one input and one output buffer on the device per frame size, bound once.

    Each frame is copied into the bound input (host to device, ``uint8``), the session runs, and the
    output is copied back. With ``cuda_graph`` the first :data:`MAX_SIZES` frame sizes each get their own
    graph id, so ONNX Runtime captures one CUDA graph per size and replays it; those buffers must never
    move, so they are kept for the life of the runner. Further sizes (a folder of photos of every size)
    run without a graph (id -1) in buffers that are dropped oldest first, so memory stays bounded. Only
    for models whose output has the input's shape and type (the stylecam contract: ``uint8`` NHWC BGR in
    and out).
    """

    MAX_SIZES = 8  # frame sizes with a captured CUDA graph, and frame sizes kept bound without one

    def __init__(
        self,
        session,
        input_name: str,
        output_name: str,
        device: str,
        cuda_graph: bool,
        style_input: str = STYLECAM.style_input,
    ) -> None:
        ort = load_onnxruntime()
        self._style_input = style_input
        self._ort = ort
        self._session = session
        self._input_name, self._output_name = input_name, output_name
        self._device = "cpu" if device == "cpu" else "cuda"
        self._cuda_graph = cuda_graph
        self._graphs: dict[tuple[int, ...], tuple] = {}  # sizes replayed as CUDA graphs: kept
        self._plain: dict[tuple[int, ...], tuple] = {}  # other sizes: dropped oldest first

    def graph_id(self, shape: tuple[int, ...]) -> int | None:
        """The CUDA graph id of a bound frame shape, -1 for one bound without a graph, None if unbound."""
        entry = self._graphs.get(shape) or self._plain.get(shape)
        return None if entry is None else entry[4]

    def _bind(self, shape: tuple[int, ...]) -> tuple:
        ort = self._ort
        graph_id = len(self._graphs) if self._cuda_graph and len(self._graphs) < self.MAX_SIZES else -1
        if graph_id < 0 and len(self._plain) >= self.MAX_SIZES:
            self._plain.pop(next(iter(self._plain)))
        x = ort.OrtValue.ortvalue_from_shape_and_type(list(shape), np.uint8, self._device, 0)
        y = ort.OrtValue.ortvalue_from_shape_and_type(list(shape), np.uint8, self._device, 0)
        binding = self._session.io_binding()
        binding.bind_ortvalue_input(self._input_name, x)
        binding.bind_ortvalue_output(self._output_name, y)
        options = ort.RunOptions()
        if self._cuda_graph:  # -1: this run neither captures nor replays a graph
            options.add_run_config_entry("gpu_graph_id", str(graph_id))
        entry = (x, y, binding, options, graph_id)
        (self._graphs if graph_id >= 0 else self._plain)[shape] = entry
        return entry

    def __call__(self, blob: np.ndarray, style: np.ndarray | None = None) -> np.ndarray:
        shape = blob.shape
        entry = self._graphs.get(shape) or self._plain.get(shape) or self._bind(shape)
        x, y, binding, options, _ = entry
        x.update_inplace(np.ascontiguousarray(blob))
        if style is not None:  # a few floats: copied with each run (a crossfade changes them per frame)
            binding.bind_cpu_input(self._style_input, style)
        self._session.run_with_iobinding(binding, options)
        out = y.numpy()
        # a CPU OrtValue's numpy() shares the buffer that the next frame overwrites
        return out.copy() if self._device == "cpu" else out
