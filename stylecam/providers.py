"""ONNX Runtime execution providers, one record each, in one registry: :data:`PROVIDERS`.

Each :class:`ExecutionProvider` says what it is called (``--device`` and ONNX Runtime's name), the
options its session gets, which providers take the nodes it does not, what it lacks here and how to fix
that. :func:`stylecam.engine.create_session` walks the registry; ``--device auto`` tries
:data:`AUTO_ORDER`, the first that really runs wins.

Example:
    >>> from stylecam.providers import DEVICES, PROVIDERS
    >>> DEVICES
    ('auto', 'tensorrt', 'cuda', 'cpu')
    >>> PROVIDERS["cuda"].ort_name
    'CUDAExecutionProvider'
    >>> PROVIDERS["cuda"].provider_list()[1]  # after CUDA, the CPU takes the nodes CUDA does not
    'CPUExecutionProvider'
    >>> PROVIDERS["tensorrt"].then
    ('cuda', 'cpu')
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "AUTO_ORDER",
    "DEVICES",
    "GPU_DEVICES",
    "PROVIDERS",
    "ExecutionProvider",
    "load_onnxruntime",
    "trt_cache_dir",
]


def load_onnxruntime():
    """The ``onnxruntime`` module, imported on first use (importing stylecam stays quick)."""
    import onnxruntime as ort

    return ort


def trt_cache_dir() -> Path:
    """Where TensorRT keeps its built engines (see :mod:`stylecam.paths`)."""
    from .paths import user_cache_dir

    return user_cache_dir() / "tensorrt"


def _cpu_options(cuda_graph: bool) -> dict[str, str]:
    return {}


def _cuda_options(cuda_graph: bool) -> dict[str, str]:
    options = {"cudnn_conv_algo_search": "EXHAUSTIVE", "do_copy_in_default_stream": "1"}
    if cuda_graph:
        options["enable_cuda_graph"] = "1"
    return options


def _tensorrt_options(cuda_graph: bool) -> dict[str, str]:
    cache = trt_cache_dir()
    with contextlib.suppress(OSError):
        cache.mkdir(parents=True, exist_ok=True)
    return {
        "trt_fp16_enable": "1",
        "trt_engine_cache_enable": "1",
        "trt_engine_cache_path": str(cache),
        "trt_timing_cache_enable": "1",
        "trt_timing_cache_path": str(cache),
    }


def _no_libraries() -> list[str]:
    return []


def _cuda_missing() -> list[str]:
    from . import gpu_libraries

    report = gpu_libraries.find_libraries("cuda")
    driver = [] if report.driver.found else [f"the NVIDIA driver ({report.driver.name})"]
    return driver + [f.library.label for f in report.missing]


def _tensorrt_missing() -> list[str]:
    from . import gpu_libraries

    report = gpu_libraries.find_libraries("tensorrt")
    return [f.library.label for f in report.missing if f.library.device == "tensorrt"]


@dataclass(frozen=True)
class ExecutionProvider:
    """One ONNX Runtime execution provider as stylecam uses it.

    Attributes:
        name: the ``--device`` value (``"cuda"``).
        ort_name: ONNX Runtime's name (``"CUDAExecutionProvider"``).
        then: the devices whose providers follow it in the session's list, taking the nodes it does not.
        others: the other devices a user can fall back to, for the fix line.
        gpu: it needs NVIDIA's libraries (:mod:`stylecam.gpu_libraries` finds and preloads them).
        cuda_graph: it can replay a run as a CUDA graph.
        make_options: its provider options, given whether a CUDA graph is asked for.
        find_missing: what it lacks here, in words.
    """

    name: str
    ort_name: str
    then: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    gpu: bool = False
    cuda_graph: bool = False
    make_options: Callable[[bool], dict[str, str]] = field(default=_cpu_options, repr=False, compare=False)
    find_missing: Callable[[], list[str]] = field(default=_no_libraries, repr=False, compare=False)

    def options(self, cuda_graph: bool = False) -> dict[str, str]:
        """The provider options its session gets (``cuda_graph``: ask for CUDA-graph replay)."""
        return self.make_options(cuda_graph and self.cuda_graph)

    def provider_list(self, cuda_graph: bool = False) -> list:
        """ONNX Runtime's ``providers=`` list: this provider with its options, then :attr:`then`'s."""
        chain = [self, *(PROVIDERS[d] for d in self.then)]
        return [
            (p.ort_name, opts) if (opts := p.options(cuda_graph and p is self)) else p.ort_name for p in chain
        ]

    def missing(self) -> list[str]:
        """What it lacks in this process, in words (empty when it should work).

        CUDA: the NVIDIA driver and the CUDA libraries; TensorRT: its libraries beyond CUDA's.
        """
        return self.find_missing()

    def why_not(self, available: list[str]) -> str:
        """Why it cannot run here, in a few words, given ONNX Runtime's available providers."""
        ort = load_onnxruntime()
        if self.ort_name not in available:
            pkg = getattr(ort, "__name__", "onnxruntime")
            return f"this onnxruntime build ({pkg} {ort.__version__}) has no {self.ort_name}"
        from . import gpu_libraries

        return (
            gpu_libraries.find_libraries(self.name).problem()
            or "ONNX Runtime could not start it (see its log above)"
        )

    def how_to_fix(self) -> str:
        """One line: what to install, or which other device to use."""
        other = " or ".join(f"--device {d}" for d in self.others)
        other = f"use {other}" if other else ""
        if self.ort_name not in load_onnxruntime().get_available_providers():
            return (
                f'install onnxruntime-gpu (Linux or Windows, x86_64): pip install "stylecam[{self.name}]", '
                f"or {other}"
            )
        from . import gpu_libraries

        fix = (
            gpu_libraries.find_libraries(self.name).fix() or 'pip install --force-reinstall "stylecam[cuda]"'
        )
        return f"{fix}, or {other}"


#: every provider stylecam runs on, fastest first
PROVIDERS: dict[str, ExecutionProvider] = {
    p.name: p
    for p in (
        ExecutionProvider(
            "tensorrt",
            "TensorrtExecutionProvider",
            then=("cuda", "cpu"),
            others=("cuda", "cpu"),
            gpu=True,
            make_options=_tensorrt_options,
            find_missing=_tensorrt_missing,
        ),
        ExecutionProvider(
            "cuda",
            "CUDAExecutionProvider",
            then=("cpu",),
            others=("cpu",),
            gpu=True,
            cuda_graph=True,
            make_options=_cuda_options,
            find_missing=_cuda_missing,
        ),
        ExecutionProvider("cpu", "CPUExecutionProvider"),
    )
}
#: what ``--device auto`` tries, in order
AUTO_ORDER: tuple[str, ...] = tuple(PROVIDERS)
#: the ``--device`` values
DEVICES: tuple[str, ...] = ("auto", *PROVIDERS)
#: the devices that need NVIDIA's libraries
GPU_DEVICES: tuple[str, ...] = tuple(name for name, p in PROVIDERS.items() if p.gpu)
